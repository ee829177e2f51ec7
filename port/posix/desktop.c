/* desktop.c — port.h's desktop and service hooks on the POSIX ports:
 * nothing to do (a service is the init system's unit file; no tray, no
 * message box: the caller's stderr and log lines are what a server gets). */
#include "port/port.h"

int port_main(int argc, char **argv, int (*prog_main)(int, char **))
{
	return prog_main(argc, argv);
}

int port_tray_start(const char *icon_png, const char *tip)
{
	(void)icon_png;
	(void)tip;
	return PORT_ENOTAVAIL;
}

void port_tray_stop(void) {}

void port_alert(const char *title, const char *text)
{
	(void)title;
	(void)text;
}
