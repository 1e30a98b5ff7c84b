# server/src/mail: the "smtp" section, building and sending mail (libcurl), the mail queue.
list(APPEND MW_SERVER_SOURCES src/mail/smtp.cpp src/mail/mailer.cpp)
