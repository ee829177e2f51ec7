/* posix_compat.h — the few POSIX names portable code uses that mingw-w64's
 * C runtime lacks, given the Windows meaning. boards/windows-x64.mk
 * force-includes it (-include) into the project's objects, so no file
 * outside port/ needs an #ifdef. */
#ifndef MONBOT_PORT_POSIX_COMPAT_H
#define MONBOT_PORT_POSIX_COMPAT_H

/* Not inherited by child processes: the CRT's _O_NOINHERIT (its value in
 * fcntl.h, which is not included here: it declares open(), a name portable
 * files use for their own statics). */
#define O_CLOEXEC 0x0080
/* Winsock's (ws2_32, after WSAStartup in port_init); declared here without
 * winsock2.h, whose names clash with the portable code's. */
int __stdcall gethostname(char *name, int namelen);

#endif
