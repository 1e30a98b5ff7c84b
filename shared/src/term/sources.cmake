# shared/term: VT/xterm terminal emulator (parser, screen model, input encoder, selection/search).
list(APPEND MW_SHARED_SOURCES src/term/parser.cpp src/term/width.cpp src/term/screen.cpp src/term/terminal.cpp)
list(APPEND MW_SHARED_SOURCES src/term/input.cpp src/term/selection.cpp)
