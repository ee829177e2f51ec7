/* linux.h — private to port/linux: state found at start-up and the file
 * helpers the readers and the GPU back-ends share. */
#ifndef MONBOT_PORT_LINUX_H
#define MONBOT_PORT_LINUX_H

#include <stddef.h>
#include <stdint.h>

#include "port/port.h"

#define LX_TEMP_SOURCES 4 /* coretemp, k10temp, cpu_thermal, a thermal zone */
#define LX_MAX_DEVFS 64

struct lx {
	char root[256];
	uint64_t page_size;
	char temp_src[LX_TEMP_SOURCES][320];
	char zone_name[64];
	int cg_kind; /* 0 none, 1 cgroup v1, 2 cgroup v2 */
	char cg_path[320];
	int have_fslist;     /* /proc/filesystems was read */
	int n_devfs;         /* types it lists without "nodev" */
	char devfs[LX_MAX_DEVFS][24];
};
extern struct lx lx;

int lx_path(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int lx_read_abs(const char *path, char *buf, size_t cap, size_t *len);
int lx_read(const char *rel, char *buf, size_t cap, size_t *len);
int lx_each_line(const char *rel, char *buf, size_t cap, int (*fn)(char *line, void *arg), void *arg);
int lx_read_u64(const char *abs, uint64_t *out);
int lx_read_i64(const char *abs, int64_t *out);
int lx_parse_u64(const char *s, uint64_t *out);
int lx_dir_each(const char *abs, int (*fn)(const char *name, void *arg), void *arg);
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
int lx_amd_list(struct port_gpu *g, int max, int *n);

#endif
