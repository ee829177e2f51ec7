/* fleet_names.c — the wire names of struct fleet's enums and fleet_clear,
 * shared by the writer (wire/fleet.c, agent) and the reader
 * (wire/fleet_parse.c, server). */
#include "wire/fleet.h"

#include <math.h>
#include <string.h>

const char *const fleet_state_names[FLEET_ST__COUNT] = {
	"running", "exited", "restarting", "paused", "created", "dead", "removing",
};
const char *const fleet_health_names[4] = { NULL, "healthy", "unhealthy", "starting" };
const char *const fleet_engine_names[2] = { "docker", "podman" };

static int name_from(const char *const *names, int n, const char *s, int len)
{
	for (int i = 0; i < n; i++)
		if (names[i] && (int)strlen(names[i]) == len && memcmp(names[i], s, (size_t)len) == 0)
			return i;
	return -1;
}

int fleet_state_from(const char *s, int len)
{
	return name_from(fleet_state_names, FLEET_ST__COUNT, s, len);
}

int fleet_health_from(const char *s, int len)
{
	return name_from(fleet_health_names, 4, s, len);
}

void fleet_clear(struct fleet *f)
{
	memset(f, 0, sizeof(*f));
	for (int i = 0; i < FLEET_MAX_CONTAINERS; i++) {
		f->containers[i].restarts = -1;
		f->containers[i].cpu = f->containers[i].mem = NAN;
	}
	for (int i = 0; i < FLEET_MAX_SMART; i++)
		f->smart[i].temp = f->smart[i].used = NAN;
	f->ups.charge = f->ups.runtime = f->ups.load = NAN;
	for (int i = 0; i < FLEET_MAX_CUSTOM; i++)
		f->custom[i].value = NAN;
}
