/* linux.h — private to port/linux: state found at start-up and the file
 * helpers the readers and the GPU back-ends share. */
#ifndef MONBOT_PORT_LINUX_H
#define MONBOT_PORT_LINUX_H

#include <stddef.h>
#include <stdint.h>

#include "port/port.h"

#define LX_TEMP_SOURCES 4 /* coretemp, k10temp, cpu_thermal, a thermal zone */
#define LX_MAX_DEVFS 64

/* A file every cycle reads, kept open and read with pread from offset 0
 * instead of open/read/close each time (kept.c). All-zero is "not open". */
struct lx_file {
	int fd;
	int open;
	char path[400]; /* with the root prefix; "" = no such source */
};

/* The kept files of struct lx (the GPU back-ends keep their own). */
enum {
	LX_F_STAT, LX_F_MEMINFO, LX_F_UPTIME, LX_F_LOADAVG, LX_F_NETDEV, LX_F_MOUNTS,
	LX_F_CG_LIMIT, LX_F_CG_USAGE, LX_F_CG_STAT,
	LX_F_TEMP, /* LX_TEMP_SOURCES of them, in SPEC §4 order */
	LX_F_COUNT = LX_F_TEMP + LX_TEMP_SOURCES
};

struct lx {
	char root[256];
	uint64_t page_size;
	char zone_name[64];
	int cg_kind; /* 0 none, 1 cgroup v1, 2 cgroup v2 */
	char cg_path[320];
	int have_fslist;     /* /proc/filesystems was read */
	int n_devfs;         /* types it lists without "nodev" */
	char devfs[LX_MAX_DEVFS][24];
	uint64_t mounts_gen; /* bumped when the mount table may have changed */
	struct lx_file file[LX_F_COUNT];
};
extern struct lx lx;

int lx_path(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int lx_read_abs(const char *path, char *buf, size_t cap, size_t *len);
int lx_read(const char *rel, char *buf, size_t cap, size_t *len);
int lx_each_line(const char *rel, char *buf, size_t cap, int (*fn)(char *line, void *arg), void *arg);
int lx_read_u64(const char *abs, uint64_t *out);
int lx_read_i64(const char *abs, int64_t *out);
int lx_parse_u64(const char *s, uint64_t *out);
int lx_parse_i64(const char *s, int64_t *out);
int lx_dir_each(const char *abs, int (*fn)(const char *name, void *arg), void *arg);

/* Kept files (kept.c). lx_file_open closes what f had and opens abs (a
 * missing file is tried again at each read): 0, or -1 when abs does not fit.
 * lx_file_read reads the whole file, up to cap-1 bytes, NUL-terminated, in
 * one pread where it fits: a short read is the end, as it is for the
 * single-record /proc and sysfs files (and regular files) it is used on.
 * lx_file_lines is lx_each_line for a kept file of many records
 * (/proc/net/dev, /proc/self/mounts), read until pread returns 0. A failed
 * read closes the file and opens it again once (a device that went away and
 * came back). */
int lx_file_open(struct lx_file *f, const char *abs);
void lx_file_close(struct lx_file *f);
int lx_file_read(struct lx_file *f, char *buf, size_t cap, size_t *len);
int lx_file_lines(struct lx_file *f, char *buf, size_t cap, int (*fn)(char *line, void *arg), void *arg);
int lx_file_u64(struct lx_file *f, uint64_t *out);
int lx_file_i64(struct lx_file *f, int64_t *out);
/* Opens the kept files of struct lx that need no search (kept.c); closes
 * all of them. */
void lx_files_open(void);
void lx_files_close(void);
int lx_parse_pid_stat(const char *buf, struct port_proc *pp, uint64_t page_size);
/* Reads a decimal field at *p (leading blanks skipped) and moves *p past it. */
int lx_field_u64(const char **p, uint64_t *out);
int lx_field_decimal(const char **p, double *out);

/* Found once by port_init (sensors.c, cpu_mem.c, disk.c). */
void lx_temp_find(void);
void lx_cgroup_find(void);
void lx_fstypes_read(void);

/* GPU back-ends (gpu_nvml.c, gpu_smi.c, gpu_amd.c). */
void lx_gpu_init(void);
void lx_gpu_fini(void);
int lx_nvml_open(void);
void lx_nvml_close(void);
int lx_nvml_list(struct port_gpu *g, int max, int *n);
int lx_smi_find(void);
void lx_smi_reset(void);
int lx_smi_list(struct port_gpu *g, int max, int *n);
/* Parses nvidia-smi's CSV (index,name,util,mem.used,mem.total,temp,power). */
int lx_smi_parse(const char *csv, struct port_gpu *g, int max, int *n);
void lx_amd_find(void);
void lx_amd_close(void);
int lx_amd_list(struct port_gpu *g, int max, int *n);

#endif
