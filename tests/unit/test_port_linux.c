/* Unit tests for port/linux on generated trees: files far larger than the
 * read buffers (a Docker host's /proc/self/mounts and /proc/net/dev), a
 * line longer than the buffer, and a mount table that ends mid-line; the
 * mount table kept between cycles, read again when it changes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "port/port.h"

#define COLLECT_FS_MAX 256

static char root[256];

static void mkdirs(const char *rel)
{
	char p[512], *s;
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	for (s = p + strlen(root) + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	mkdir(p, 0755);
}

static FILE *create(const char *rel)
{
	char p[512];
	FILE *f;
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	return f;
}

static int setup(void **state)
{
	FILE *f;
	snprintf(root, sizeof(root), "/tmp/monbot-port-XXXXXX");
	assert_non_null(mkdtemp(root));
	mkdirs("proc/self");
	mkdirs("proc/net");
	f = create("proc/filesystems");
	fputs("nodev\tsysfs\nnodev\tproc\nnodev\toverlay\n\text4\n\txfs\n", f);
	fclose(f);
	/* 700 overlay mounts (~110 KB, as on a busy Docker host), then a line
	 * longer than any buffer, then the disk that must still be found, then
	 * a cut last line. */
	f = create("proc/self/mounts");
	fputs("/dev/vda1 / ext4 rw,relatime 0 0\n", f);
	for (int i = 0; i < 700; i++)
		fprintf(f, "overlay /var/lib/docker/overlay2/%064d/merged overlay rw,lowerdir=/x:/y 0 0\n", i);
	fputs("tmpfs /long tmpfs rw,", f);
	for (int i = 0; i < 40000; i++)
		fputc('x', f);
	fputs(" 0 0\n", f);
	fputs("/dev/sdb1 /mnt/late xfs rw 0 0\n", f);
	fputs("/dev/sdc1 /mnt/cut ext4 rw", f);
	fclose(f);
	f = create("statvfs");
	fputs("/ 4096 1000000 400000 350000\n/mnt/late 4096 2000000 1500000 1500000\n"
	      "/mnt/cut 4096 1000 10 10\n", f);
	fclose(f);
	f = create("proc/net/dev");
	fputs("Inter-|   Receive                                                |  Transmit\n"
	      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n", f);
	for (int i = 0; i < 300; i++)
		fprintf(f, "veth%07d: %d 1 0 0 0 0 0 0 %d 1 0 0 0 0 0 0\n", i, i, 2 * i);
	fputs("  eth0: 123456789 1000 0 0 0 0 0 0 987654321 900 0 0 0 0 0 0\n", f);
	fclose(f);
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];
	port_fini();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_big_mount_table(void **state)
{
	static struct port_fs fs[1024];
	int n = 0, late = -1;
	assert_int_equal(port_init(root), PORT_OK);
	assert_int_equal(port_fs_list(fs, 1024, &n), PORT_OK);
	/* "/" + 700 overlays (statvfs has no line for them: left out) + late */
	assert_int_equal(n, 2);
	assert_string_equal(fs[0].mount, "/");
	assert_int_equal(fs[0].total, 1000000ull * 4096);
	assert_int_equal(fs[0].used, 600000ull * 4096);
	assert_int_equal(fs[0].avail, 350000ull * 4096);
	for (int i = 0; i < n; i++)
		if (strcmp(fs[i].mount, "/mnt/late") == 0)
			late = i;
	assert_int_equal(late, 1);
	assert_string_equal(fs[late].fstype, "xfs");
	assert_int_equal(fs[late].physical, 1);
	assert_int_equal(fs[late].used, 500000ull * 4096);
}

static void test_mount_table_too_many(void **state)
{
	static struct port_fs fs[1];
	int n = 0;
	assert_int_equal(port_init(root), PORT_OK);
	/* Room for one: the rest is reported as not fitting, the one is kept. */
	assert_int_equal(port_fs_list(fs, 1, &n), PORT_ENOSPC);
	assert_int_equal(n, 1);
	assert_string_equal(fs[0].mount, "/");
}

/* The cycle's halves on the same tree: the table holds only the mounts
 * backed by a device (the 700 overlays are "nodev"), usage comes from
 * port_fs_usage; a fixture file gives no change signal, so every call
 * reads it again (the caller's entries are written over). */
static void test_mounts_then_usage(void **state)
{
	static struct port_fs fs[1024];
	uint64_t gen = 0, gen1;
	int n = 0;
	assert_int_equal(port_init(root), PORT_OK);
	assert_int_equal(port_fs_mounts(fs, 1024, &n, &gen), PORT_OK);
	assert_int_equal(n, 2);
	assert_true(gen != 0);
	assert_string_equal(fs[0].mount, "/");
	assert_string_equal(fs[0].dev, "/dev/vda1");
	assert_string_equal(fs[1].mount, "/mnt/late");
	assert_int_equal(fs[0].total, 0);
	assert_int_equal(port_fs_usage(&fs[0]), PORT_OK);
	assert_int_equal(fs[0].total, 1000000ull * 4096);
	assert_int_equal(fs[0].used, 600000ull * 4096);
	assert_int_equal(fs[0].avail, 350000ull * 4096);
	assert_int_equal(port_fs_usage(&fs[1]), PORT_OK);
	assert_int_equal(fs[1].used, 500000ull * 4096);
	/* no statvfs line: cannot be stat'ed */
	snprintf(fs[1].mount, sizeof(fs[1].mount), "/nowhere");
	assert_int_equal(port_fs_usage(&fs[1]), PORT_ENOTAVAIL);
	gen1 = gen;
	snprintf(fs[0].dev, sizeof(fs[0].dev), "marker");
	assert_int_equal(port_fs_mounts(fs, 1024, &n, &gen), PORT_OK);
	assert_true(gen != gen1);
	assert_string_equal(fs[0].dev, "/dev/vda1");
	assert_string_equal(fs[1].mount, "/mnt/late");
	/* room for one: the first kept, the rest reported as not fitting */
	gen = 0;
	assert_int_equal(port_fs_mounts(fs, 1, &n, &gen), PORT_ENOSPC);
	assert_int_equal(n, 1);
	assert_string_equal(fs[0].mount, "/");
}

/* The live table in a mount namespace of a child's own (root only, else
 * skipped): unchanged, port_fs_mounts leaves the caller's table alone (one
 * poll); a mount anywhere in the namespace makes the next call read it
 * again (proc(5): POLLPRI on /proc/self/mounts). */
static int live_mounts_child(void)
{
	static struct port_fs fs[COLLECT_FS_MAX];
	char dir[] = "/tmp/monbot-mnt-XXXXXX";
	uint64_t gen = 0, gen1;
	int n = 0, rc = 0;
	if (unshare(CLONE_NEWNS) != 0)
		return 77;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 || !mkdtemp(dir))
		return 77;
	if (port_init(NULL) != PORT_OK || port_fs_mounts(fs, COLLECT_FS_MAX, &n, &gen) != PORT_OK || n < 1)
		return 10;
	gen1 = gen;
	snprintf(fs[0].dev, sizeof(fs[0].dev), "marker");
	if (port_fs_mounts(fs, COLLECT_FS_MAX, &n, &gen) != PORT_OK || gen != gen1 ||
	    strcmp(fs[0].dev, "marker") != 0)
		rc = 11; /* read again although nothing changed */
	if (!rc && mount("monbot-test", dir, "tmpfs", 0, "size=64k") != 0)
		rc = 77;
	if (!rc && (port_fs_mounts(fs, COLLECT_FS_MAX, &n, &gen) != PORT_OK || gen == gen1 ||
	            strcmp(fs[0].dev, "marker") == 0))
		rc = 12; /* the change was not seen */
	umount(dir);
	rmdir(dir);
	port_fini();
	return rc;
}

static void test_live_mounts_change(void **state)
{
	int status = 0;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(live_mounts_child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip(); /* not root, or no mount namespaces here */
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_many_interfaces(void **state)
{
	static struct port_if ifs[512];
	int n = 0;
	assert_int_equal(port_init(root), PORT_OK);
	assert_int_equal(port_if_list(ifs, 512, &n), PORT_OK);
	assert_int_equal(n, 301);
	assert_string_equal(ifs[0].name, "veth0000000");
	assert_string_equal(ifs[299].name, "veth0000299");
	assert_int_equal(ifs[299].rx, 299);
	assert_int_equal(ifs[299].tx, 598);
	assert_string_equal(ifs[300].name, "eth0");
	assert_int_equal(ifs[300].rx, 123456789);
	assert_int_equal(ifs[300].tx, 987654321);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_big_mount_table),
		cmocka_unit_test(test_mount_table_too_many),
		cmocka_unit_test(test_mounts_then_usage),
		cmocka_unit_test(test_live_mounts_change),
		cmocka_unit_test(test_many_interfaces),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
