# MW_SANITIZE=address,undefined (the `asan` preset) instruments every native target.
set(MW_SANITIZE "" CACHE STRING "Comma-separated -fsanitize= list for native builds")
if(MW_SANITIZE AND NOT EMSCRIPTEN)
  add_compile_options(-fsanitize=${MW_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${MW_SANITIZE})
endif()
