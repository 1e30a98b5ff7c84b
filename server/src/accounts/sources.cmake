# server/src/accounts: users, device groups, rights, control actions, sessions and login.
list(APPEND MW_SERVER_SOURCES src/accounts/policy.cpp src/accounts/model.cpp src/accounts/actions.cpp
  src/accounts/event_bus.cpp src/accounts/presence.cpp src/accounts/service.cpp src/accounts/login_routes.cpp src/accounts/live_events.cpp
  src/accounts/account_mail.cpp)
