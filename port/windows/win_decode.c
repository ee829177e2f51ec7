/* win_decode.c — the Windows port's pure half: FILETIME arithmetic, memory
 * and page file, drive filtering, interface rows, process entries and the
 * OS name, from the numbers the Win32 calls of windows.c return. No
 * windows.h: tests/unit/test_win_decode.c builds this file on Linux. */
#include "port/windows/win_decode.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

uint64_t wd_filetime(uint32_t lo, uint32_t hi)
{
	return (uint64_t)hi << 32 | lo;
}

int wd_cpu(uint64_t idle, uint64_t kernel, uint64_t user, unsigned ncpu, struct port_cpu *c)
{
	if (idle > kernel || kernel > UINT64_MAX - user)
		return PORT_EPARSE;
	c->total = kernel + user;
	c->idle = idle;
	c->ncpu = ncpu;
	return PORT_OK;
}

int wd_cpu_busy(const struct port_cpu *a, const struct port_cpu *b, double *pct)
{
	uint64_t dt, di;
	if (b->total < a->total || b->idle < a->idle)
		return PORT_EPARSE;
	dt = b->total - a->total;
	di = b->idle - a->idle;
	if (dt == 0 || di > dt)
		return PORT_EPARSE;
	*pct = 100.0 * (double)(dt - di) / (double)dt;
	return PORT_OK;
}

int wd_mem(uint64_t total_phys, uint64_t avail_phys, uint64_t total_pf, uint64_t avail_pf,
           struct port_mem *m)
{
	if (total_phys == 0 || avail_phys > total_phys || avail_pf > total_pf)
		return PORT_EPARSE;
	m->total = total_phys;
	m->avail = avail_phys;
	m->swap_total = total_pf > total_phys ? total_pf - total_phys : 0;
	m->swap_free = avail_pf > avail_phys ? avail_pf - avail_phys : 0;
	if (m->swap_free > m->swap_total)
		m->swap_free = m->swap_total;
	m->cg_limit = m->cg_usage = m->cg_inactive_file = PORT_NA;
	return PORT_OK;
}

const char *wd_drive_next(const char *list, size_t len, size_t *pos)
{
	const char *r;
	size_t n;
	if (*pos >= len || list[*pos] == '\0')
		return NULL;
	r = list + *pos;
	n = strnlen(r, len - *pos);
	if (*pos + n >= len) /* not terminated inside the buffer: garbled */
		return NULL;
	*pos += n + 1;
	return r;
}

int wd_drive(const char *root, unsigned type, const char *fstype, uint64_t free_caller, uint64_t total,
             uint64_t total_free, struct port_fs *fs)
{
	size_t n = strlen(root);
	if (type != WD_DRIVE_FIXED || total == 0 || total_free > total || free_caller > total)
		return 0;
	if (n >= sizeof(fs->mount) || n >= sizeof(fs->dev))
		return 0;
	memset(fs, 0, sizeof(*fs));
	memcpy(fs->mount, root, n + 1);
	memcpy(fs->dev, root, n + 1);
	snprintf(fs->fstype, sizeof(fs->fstype), "%s", fstype && *fstype ? fstype : "unknown");
	fs->physical = 1;
	fs->total = total;
	fs->used = total - total_free;
	fs->avail = free_caller;
	return 1;
}

int wd_if_wanted(int filter_interface, const char *name)
{
	return !filter_interface && name && name[0];
}

void wd_utf8_copy(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (cap == 0)
		return;
	if (n >= cap) {
		n = cap - 1;
		/* back off continuation bytes (10xxxxxx) to a character start */
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

int wd_proc(uint32_t pid, const char *exe, uint64_t creation, uint64_t kernel, uint64_t user,
            uint64_t working_set, struct port_proc *p)
{
	if (pid == 0 || kernel > UINT64_MAX - user)
		return PORT_ENOTAVAIL;
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->start = creation;
	p->ticks = kernel + user;
	p->rss = working_set;
	if (exe && exe[0])
		wd_utf8_copy(p->name, sizeof(p->name), exe);
	else
		snprintf(p->name, sizeof(p->name), "%u", (unsigned)pid);
	return PORT_OK;
}

void wd_os_name(const char *product, unsigned major, unsigned minor, unsigned build, char *os, size_t oscap,
                char *kernel, size_t kcap)
{
	char name[96];
	if (product && product[0]) {
		wd_utf8_copy(name, sizeof(name), product);
		/* Windows 11 kept "Windows 10" in ProductName */
		if (major == 10 && build >= 22000 && strncmp(name, "Windows 10", 10) == 0)
			name[9] = '1';
	} else if (major == 10 && build >= 22000) {
		snprintf(name, sizeof(name), "Windows 11");
	} else {
		snprintf(name, sizeof(name), "Windows %u.%u", major, minor);
	}
	if (build)
		snprintf(os, oscap, "%s (build %u)", name, build);
	else
		snprintf(os, oscap, "%s", name);
	snprintf(kernel, kcap, "%u.%u.%u", major, minor, build);
}

int wd_cmdline_append(char *cmd, size_t cap, size_t *len, const char *a)
{
	size_t n = *len;
#define PUT(ch)                                  \
	do {                                     \
		if (n + 1 >= cap)                \
			goto full;               \
		cmd[n++] = (ch);                 \
	} while (0)
	if (n)
		PUT(' ');
	PUT('"');
	for (const char *p = a;; p++) {
		size_t bs = 0;
		while (*p == '\\') {
			bs++;
			p++;
		}
		if (*p == '\0') { /* before the closing quote: all doubled */
			for (size_t i = 0; i < 2 * bs; i++)
				PUT('\\');
			break;
		}
		for (size_t i = 0; i < (*p == '"' ? 2 * bs + 1 : bs); i++)
			PUT('\\');
		PUT(*p);
	}
	PUT('"');
#undef PUT
	cmd[n] = '\0';
	*len = n;
	return PORT_OK;
full:
	if (cap)
		cmd[*len < cap ? *len : cap - 1] = '\0';
	return PORT_ENOSPC;
}

int wd_env_dropped(const char *entry, const char *const drop[])
{
	for (size_t i = 0; drop && drop[i]; i++) {
		size_t k = strlen(drop[i]), j = 0;
		while (j < k && entry[j] && tolower((unsigned char)entry[j]) == tolower((unsigned char)drop[i][j]))
			j++;
		if (j == k && entry[k] == '=')
			return 1;
	}
	return 0;
}
