/* keycli.h — `monbot-server key ...` (SPEC §2): manage keys in the configured
 * database without Telegram. */
#ifndef MONBOT_KEYCLI_H
#define MONBOT_KEYCLI_H

struct store_config;

/* argv[0] is "key" (or directly the subcommand): key new [name] [--owner
 * <id>], key list [--owner <id>], key del <key or name>, key owner <key or
 * name> <id>. Output on stdout, errors on stderr. Returns the exit status:
 * 0 done, 1 failed (no such key, name taken, database), 2 usage. */
int keycli_main(int argc, char **argv, const struct store_config *cfg);

#endif
