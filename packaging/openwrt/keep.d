/etc/monbot/
