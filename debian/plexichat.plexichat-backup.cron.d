# /etc/cron.d/plexichat-backup: plexichat-backup, nightly (docs:
# /usr/share/doc/plexichat/BACKUP_SYSTEM.md.gz). Off until a backup store is
# configured: set backup_store and backup_key_file (or
# backup_passphrase_file) in /etc/plexichat/plexichat.conf, run
# `plexichat-backup init` once, then remove the "#" of the two lines below.
PLEXICHAT_CONFIG=/etc/plexichat/plexichat.conf
# m h dom mon dow  user      command
#17 3 * * *        www-data  plexichat-backup --quiet backup && plexichat-backup --quiet verify --sample 20
#47 4 * * 0        www-data  plexichat-backup --quiet prune
