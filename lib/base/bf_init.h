/* The prologue every main() runs first (like git's common-main.c): standard descriptors
 * made safe, SIGPIPE restored, the program name set; and the argv join the state file
 * keeps as a run's arguments. */
#ifndef BF_INIT_H
#define BF_INIT_H

/* Opens /dev/null on any of descriptors 0-2 that is closed (so that a later open never
 * lands on stdout), restores SIGPIPE to its default and unblocks it (a parent that
 * ignored it must not make a write to a closed pipe spin), and sets the program name
 * from argv[0] for every message. Call first thing in main. */
void bf_main_init(char **argv);
/* argv[1..argc) joined by single spaces, for the runs table; NULL when there are none
 * (kept as NULL there). The caller frees it. */
char *bf_argv_join(int argc, char *const *argv);

#endif
