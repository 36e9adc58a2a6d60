/* SPDX-License-Identifier: BSD-3-Clause */
/* Memory spaces: discovery (hwloc, memattrs, CUDA), lookup by mem-layer
 * string, ranking, user registration, and the raw allocators of each layer. */
#include <ctype.h>
#include <errno.h>
#include <hwloc.h>
#include <inttypes.h>
#include <numa.h>
#include <numaif.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mmb_internal.h"

static hwloc_topology_t topo;
static bool topo_loaded;

static const char *const layer_names[] = {"DRAM", "HBM", "NVDIMM", "GPU", "PINNED", "USER"};

const char *mmb_layer_name(mmb_layer layer)
{
  return ((int)layer >= 0 && layer < MMB_LAYER_MAX) ? layer_names[layer] : "unknown";
}

bool mmb__space_is_host(const mmbMemSpace *s)
{
  return s != NULL && s->info.exec == MMB_EXEC_CPU;
}

/* ------------------------------------------------------------------ */
/* Space list */

mmb_status mmb__space_add(const mmb_space_info *info, const mmb_provider *prov, mmbMemSpace **out)
{
  mmb_status st = MMB_OK;
  mmbMemSpace *s = NULL;
  if (mmb__g.nspaces == mmb__g.cap) {
    size_t ncap = mmb__g.cap ? mmb__g.cap * 2 : 16;
    mmbMemSpace **n = realloc(mmb__g.spaces, ncap * sizeof *n);
    MMB_CHECK(SPACE, n != NULL, st, MMB_OUT_OF_MEMORY, "no memory for the space list");
    mmb__g.spaces = n;
    mmb__g.cap = ncap;
  }
  s = calloc(1, sizeof *s);
  MMB_CHECK(SPACE, s != NULL, st, MMB_OUT_OF_MEMORY, "no memory for a space");
  s->info = *info;
  atomic_store(&s->limit, info->limit);
  if (prov != NULL) {
    s->provider = *prov;
    s->has_provider = true;
  }
  pthread_mutex_init(&s->lock, NULL);
  s->index = mmb__g.nspaces;
  mmb__g.spaces[mmb__g.nspaces++] = s;
  MMB_LOG_INFO(SPACE, "space %s: layer %s node %d device %d capacity %" PRIu64 " MiB%s%s",
               s->info.name, mmb_layer_name(s->info.layer), s->info.numa_node, s->info.device,
               s->info.capacity >> 20, s->info.perf_from_memattrs ? " (memattrs)" : "",
               s->info.user ? " (user)" : "");
  if (out)
    *out = s;
cleanup:
  return st;
}

static int layer_score(mmb_layer l)
{
  switch (l) {
  case MMB_LAYER_HBM:
    return 3;
  case MMB_LAYER_DRAM:
    return 2;
  case MMB_LAYER_NVDIMM:
    return 1;
  default:
    return 0;
  }
}

/* Host spaces bound to a node, best first; used for rank and fastest(). */
static int cmp_host(const mmbMemSpace *a, const mmbMemSpace *b, int local_node)
{
  bool perf = a->info.perf_from_memattrs && b->info.perf_from_memattrs && a->info.bandwidth &&
              b->info.bandwidth;
  if (perf && a->info.bandwidth != b->info.bandwidth)
    return a->info.bandwidth > b->info.bandwidth ? -1 : 1;
  if (perf && a->info.latency != b->info.latency && a->info.latency && b->info.latency)
    return a->info.latency < b->info.latency ? -1 : 1;
  int sa = layer_score(a->info.layer), sb = layer_score(b->info.layer);
  if (sa != sb)
    return sa > sb ? -1 : 1;
  bool la = a->info.numa_node == local_node, lb = b->info.numa_node == local_node;
  if (la != lb)
    return la ? -1 : 1;
  if (a->info.capacity != b->info.capacity)
    return a->info.capacity > b->info.capacity ? -1 : 1;
  return a->index < b->index ? -1 : (a->index > b->index);
}

/* Host spaces bound to a node are ranked among themselves (0 = fastest);
 * the unbound DRAM space comes after them, then devices and user spaces. */
static bool rankable(const mmbMemSpace *s)
{
  return mmb__space_is_host(s) && s->info.layer != MMB_LAYER_PINNED && s->info.numa_node >= 0;
}

static void compute_ranks(void)
{
  size_t n = mmb__g.nspaces;
  int nbound = 0;
  for (size_t i = 0; i < n; i++)
    nbound += rankable(mmb__g.spaces[i]);
  for (size_t i = 0; i < n; i++) {
    mmbMemSpace *s = mmb__g.spaces[i];
    int r = 0;
    if (!rankable(s)) {
      s->info.rank = s == mmb__g.dram ? nbound : 1000 + (int)i;
      continue;
    }
    for (size_t j = 0; j < n; j++) {
      mmbMemSpace *o = mmb__g.spaces[j];
      if (o != s && rankable(o) && cmp_host(o, s, -2) < 0)
        r++;
    }
    s->info.rank = r;
  }
}

int mmb__current_numa_node(void)
{
  int cpu = sched_getcpu();
  int node = -1;
  if (cpu >= 0 && numa_available() >= 0)
    node = numa_node_of_cpu(cpu);
  return node;
}

/* ------------------------------------------------------------------ */
/* Discovery */

static mmb_layer layer_of_subtype(const char *subtype)
{
  mmb_layer l = MMB_LAYER_DRAM;
  if (subtype == NULL)
    return l;
  if (strcasecmp(subtype, "HBM") == 0 || strcasecmp(subtype, "MCDRAM") == 0)
    l = MMB_LAYER_HBM;
  else if (strcasecmp(subtype, "NVM") == 0 || strcasecmp(subtype, "SPM") == 0 ||
           strcasecmp(subtype, "CXL-DRAM") == 0)
    l = MMB_LAYER_NVDIMM;
  return l;
}

#if HWLOC_API_VERSION >= 0x00020300
/* The value of a memory attribute of `node` seen from the CPUs local to it:
 * the initiator whose cpuset intersects the node's, else the best one. */
static bool memattr_local(hwloc_memattr_id_t id, hwloc_obj_t node, bool higher_better,
                          hwloc_uint64_t *out)
{
  unsigned nr = 0;
  bool found = false, local_found = false;
  hwloc_uint64_t best = 0;
  if (hwloc_memattr_get_initiators(topo, id, node, 0, &nr, NULL, NULL) != 0 || nr == 0)
    return false;
  struct hwloc_location *locs = calloc(nr, sizeof *locs);
  hwloc_uint64_t *vals = calloc(nr, sizeof *vals);
  if (locs && vals && hwloc_memattr_get_initiators(topo, id, node, 0, &nr, locs, vals) == 0) {
    for (unsigned i = 0; i < nr; i++) {
      hwloc_const_cpuset_t cs =
          locs[i].type == HWLOC_LOCATION_TYPE_CPUSET ? locs[i].location.cpuset
          : (locs[i].type == HWLOC_LOCATION_TYPE_OBJECT && locs[i].location.object)
              ? locs[i].location.object->cpuset
              : NULL;
      bool local = cs && node->cpuset && hwloc_bitmap_intersects(cs, node->cpuset);
      bool better = !found || (higher_better ? vals[i] > best : vals[i] < best);
      if ((local && (!local_found || better)) || (!local_found && better)) {
        best = vals[i];
        found = true;
        local_found = local_found || local;
      }
    }
  }
  free(locs);
  free(vals);
  if (found && best > 0) {
    *out = best;
    return true;
  }
  return false;
}
#endif

static void memattrs_of(hwloc_obj_t node, mmb_space_info *info)
{
#if HWLOC_API_VERSION >= 0x00020300
  hwloc_uint64_t v = 0;
  if (memattr_local(HWLOC_MEMATTR_ID_BANDWIDTH, node, true, &v)) {
    info->bandwidth = v;
    info->perf_from_memattrs = true;
  }
  if (memattr_local(HWLOC_MEMATTR_ID_LATENCY, node, false, &v)) {
    info->latency = v;
    info->perf_from_memattrs = true;
  }
#else
  (void)node;
  (void)info;
#endif
}

static mmb_status discover_cuda(void)
{
  mmb_status st = MMB_OK;
  if (mmb__g.opt.disable_cuda) {
    MMB_LOG_INFO(CUDA, "CUDA discovery disabled by MMB_DISABLE_CUDA");
    goto cleanup;
  }
  if (mmb__cuda_init() != MMB_OK)
    goto cleanup; /* logged at info: no driver or no device */
  int n = mmb__cuda_device_count();
  for (int d = 0; d < n; d++) {
    mmb_space_info info;
    char devname[128] = "";
    uint64_t total = 0;
    memset(&info, 0, sizeof info);
    mmb__cuda_device_info(d, devname, sizeof devname, &total);
    snprintf(info.name, sizeof info.name, "GPU:%d", d);
    info.layer = MMB_LAYER_GPU;
    info.exec = MMB_EXEC_CUDA;
    info.numa_node = -1;
    info.device = d;
    info.capacity = total;
    MMB_CHECK_CALL(CUDA, st, mmb__space_add(&info, NULL, NULL), "adding GPU:%d", d);
    memset(&info, 0, sizeof info);
    snprintf(info.name, sizeof info.name, "PINNED:%d", d);
    info.layer = MMB_LAYER_PINNED;
    info.exec = MMB_EXEC_CPU;
    info.numa_node = -1;
    info.device = d;
    MMB_CHECK_CALL(CUDA, st, mmb__space_add(&info, NULL, NULL), "adding PINNED:%d", d);
    MMB_LOG_INFO(CUDA, "GPU:%d is %s with %" PRIu64 " MiB", d, devname, total >> 20);
  }
cleanup:
  return st;
}

mmb_status mmb__topology_discover(void)
{
  mmb_status st = MMB_OK;
  mmb_space_info info;
  uint64_t total = 0;
  int nnodes;

  MMB_CHECK(LAYER, hwloc_topology_init(&topo) == 0, st, MMB_ERROR, "hwloc_topology_init failed");
  topo_loaded = true;
  MMB_CHECK(LAYER, hwloc_topology_load(topo) == 0, st, MMB_ERROR, "hwloc_topology_load failed: %s",
            strerror(errno));
  nnodes = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
  for (int i = 0; i < nnodes; i++) {
    hwloc_obj_t o = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, (unsigned)i);
    total += o->attr ? o->attr->numanode.local_memory : 0;
  }
  /* The default space: host memory, default policy. */
  memset(&info, 0, sizeof info);
  snprintf(info.name, sizeof info.name, "DRAM");
  info.layer = MMB_LAYER_DRAM;
  info.numa_node = -1;
  info.device = -1;
  info.capacity = total;
  MMB_CHECK_CALL(LAYER, st, mmb__space_add(&info, NULL, &mmb__g.dram), "adding DRAM");
  for (int i = 0; i < nnodes; i++) {
    hwloc_obj_t o = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, (unsigned)i);
    memset(&info, 0, sizeof info);
    snprintf(info.name, sizeof info.name, "NUMA:%u", o->os_index);
    info.layer = layer_of_subtype(o->subtype);
    info.numa_node = (int)o->os_index;
    info.device = -1;
    info.capacity = o->attr ? o->attr->numanode.local_memory : 0;
    if (!mmb__g.opt.disable_memattrs)
      memattrs_of(o, &info);
    MMB_CHECK_CALL(LAYER, st, mmb__space_add(&info, NULL, NULL), "adding NUMA node %u",
                   o->os_index);
  }
  MMB_CHECK_CALL(CUDA, st, discover_cuda(), "CUDA discovery");
  compute_ranks();
cleanup:
  return st;
}

void mmb__topology_release(void)
{
  for (size_t i = 0; i < mmb__g.nspaces; i++) {
    pthread_mutex_destroy(&mmb__g.spaces[i]->lock);
    free(mmb__g.spaces[i]);
  }
  free(mmb__g.spaces);
  mmb__g.spaces = NULL;
  mmb__g.nspaces = mmb__g.cap = 0;
  mmb__g.dram = NULL;
  if (topo_loaded)
    hwloc_topology_destroy(topo);
  topo_loaded = false;
  mmb__cuda_fini();
}

/* ------------------------------------------------------------------ */
/* Queries */

mmb_status mmb_space_count(size_t *count)
{
  mmb_status st = MMB_OK;
  MMB_CHECK(SPACE, mmb__ready(), st, MMB_UNINIT, "libmamba is not initialized");
  MMB_CHECK(SPACE, count != NULL, st, MMB_INVALID_ARG, "count is NULL");
  pthread_mutex_lock(&mmb__g.lock);
  *count = mmb__g.nspaces;
  pthread_mutex_unlock(&mmb__g.lock);
cleanup:
  return st;
}

mmb_status mmb_space_get(size_t index, mmbMemSpace **space)
{
  mmb_status st = MMB_OK;
  MMB_CHECK(SPACE, mmb__ready(), st, MMB_UNINIT, "libmamba is not initialized");
  MMB_CHECK(SPACE, space != NULL, st, MMB_INVALID_ARG, "space is NULL");
  pthread_mutex_lock(&mmb__g.lock);
  if (index < mmb__g.nspaces)
    *space = mmb__g.spaces[index];
  else
    st = MMB_NOT_FOUND;
  pthread_mutex_unlock(&mmb__g.lock);
cleanup:
  return st;
}

mmb_status mmb_space_default(mmbMemSpace **space)
{
  mmb_status st = MMB_OK;
  MMB_CHECK(SPACE, mmb__ready(), st, MMB_UNINIT, "libmamba is not initialized");
  MMB_CHECK(SPACE, space != NULL, st, MMB_INVALID_ARG, "space is NULL");
  *space = mmb__g.dram;
cleanup:
  return st;
}

uint64_t mmb__space_free_bytes(const mmbMemSpace *s)
{
  uint64_t avail = UINT64_MAX;
  uint64_t lim = atomic_load(&s->limit);
  uint64_t used = atomic_load(&s->raw_bytes);
  if (lim)
    avail = lim > used ? lim - used : 0;
  if (s->info.capacity &&
      s->info.capacity - (used < s->info.capacity ? used : s->info.capacity) < avail)
    avail = s->info.capacity - (used < s->info.capacity ? used : s->info.capacity);
  if (s->info.layer == MMB_LAYER_GPU) {
    uint64_t fr = 0, tot = 0;
    if (mmb__cuda_mem_info(s->info.device, &fr, &tot) == MMB_OK && fr < avail)
      avail = fr;
  } else if (mmb__space_is_host(s) && s->info.numa_node >= 0 && !s->has_provider &&
             numa_available() >= 0) {
    long long fr = 0;
    if (numa_node_size64(s->info.numa_node, &fr) > 0 && (uint64_t)fr < avail)
      avail = (uint64_t)fr;
  } else if (mmb__space_is_host(s) && !s->has_provider && s->info.layer != MMB_LAYER_PINNED) {
    long pages = sysconf(_SC_AVPHYS_PAGES), pg = sysconf(_SC_PAGESIZE);
    if (pages > 0 && pg > 0 && (uint64_t)pages * (uint64_t)pg < avail)
      avail = (uint64_t)pages * (uint64_t)pg;
  }
  return avail;
}

mmb_status mmb_space_fastest(mmb_exec_context exec, size_t min_free, mmbMemSpace **space)
{
  mmb_status st = MMB_OK;
  mmbMemSpace *best = NULL;
  int local = mmb__current_numa_node();
  MMB_CHECK(SPACE, mmb__ready(), st, MMB_UNINIT, "libmamba is not initialized");
  MMB_CHECK(SPACE, space != NULL, st, MMB_INVALID_ARG, "space is NULL");
  MMB_CHECK(SPACE, exec == MMB_EXEC_CPU || exec == MMB_EXEC_CUDA, st, MMB_INVALID_ARG,
            "bad execution context %d", (int)exec);
  pthread_mutex_lock(&mmb__g.lock);
  for (size_t i = 0; i < mmb__g.nspaces; i++) {
    mmbMemSpace *s = mmb__g.spaces[i];
    if (min_free && mmb__space_free_bytes(s) < min_free)
      continue;
    if (exec == MMB_EXEC_CUDA) {
      if (s->info.layer == MMB_LAYER_GPU && (best == NULL || s->info.device < best->info.device))
        best = s;
      continue;
    }
    if (!mmb__space_is_host(s) || s->info.layer == MMB_LAYER_PINNED || s->info.numa_node < 0)
      continue;
    if (best == NULL || cmp_host(s, best, local) < 0)
      best = s;
  }
  if (best == NULL && exec == MMB_EXEC_CPU && mmb__g.dram &&
      (!min_free || mmb__space_free_bytes(mmb__g.dram) >= min_free))
    best = mmb__g.dram;
  pthread_mutex_unlock(&mmb__g.lock);
  if (best == NULL) {
    st = MMB_NOT_FOUND;
    MMB_LOG_INFO(SPACE, "no %s space with %zu bytes free", exec == MMB_EXEC_CUDA ? "GPU" : "host",
                 min_free);
    goto cleanup;
  }
  *space = best;
cleanup:
  return st;
}

static mmbMemSpace *find_locked(const char *name)
{
  for (size_t i = 0; i < mmb__g.nspaces; i++)
    if (strcasecmp(mmb__g.spaces[i]->info.name, name) == 0)
      return mmb__g.spaces[i];
  return NULL;
}

mmb_status mmb_space_find(const char *mem_layer, mmbMemSpace **space)
{
  mmb_status st = MMB_OK;
  mmbMemSpace *s = NULL;
  char buf[MMB_NAME_MAX];
  size_t len;
  MMB_CHECK(SPACE, mmb__ready(), st, MMB_UNINIT, "libmamba is not initialized");
  MMB_CHECK(SPACE, mem_layer != NULL && space != NULL, st, MMB_INVALID_ARG,
            "mem_layer or space is NULL");
  /* trim blanks */
  while (isspace((unsigned char)*mem_layer))
    mem_layer++;
  len = strlen(mem_layer);
  while (len > 0 && isspace((unsigned char)mem_layer[len - 1]))
    len--;
  MMB_CHECK(SPACE, len > 0 && len < sizeof buf, st, MMB_INVALID_ARG,
            "malformed mem-layer \"%s\" (empty or longer than %d)", mem_layer, MMB_NAME_MAX - 1);
  memcpy(buf, mem_layer, len);
  buf[len] = '\0';
  if (strcasecmp(buf, "FASTEST") == 0)
    return mmb_space_fastest(MMB_EXEC_CPU, 0, space);
  /* validate "KIND:<n>" forms */
  const char *colon = strchr(buf, ':');
  if (colon) {
    static const char *const kinds[] = {"NUMA", "GPU", "PINNED", "HBM"};
    bool known = false;
    for (size_t k = 0; k < 4; k++)
      if ((size_t)(colon - buf) == strlen(kinds[k]) &&
          strncasecmp(buf, kinds[k], strlen(kinds[k])) == 0)
        known = true;
    if (known) {
      char *end = NULL;
      errno = 0;
      long v = strtol(colon + 1, &end, 10);
      MMB_CHECK(SPACE,
                colon[1] != '\0' && end && *end == '\0' && errno == 0 && v >= 0 && v < 1 << 20, st,
                MMB_INVALID_ARG, "malformed mem-layer \"%s\": expected %.*s:<number>", buf,
                (int)(colon - buf), buf);
      if (strncasecmp(buf, "HBM", 3) == 0) {
        snprintf(buf, sizeof buf, "NUMA:%ld", v);
        pthread_mutex_lock(&mmb__g.lock);
        s = find_locked(buf);
        if (s && s->info.layer != MMB_LAYER_HBM)
          s = NULL;
        pthread_mutex_unlock(&mmb__g.lock);
        goto found;
      }
      snprintf(buf + (colon - buf) + 1, sizeof buf - (size_t)(colon - buf) - 1, "%ld", v);
    }
  }
  pthread_mutex_lock(&mmb__g.lock);
  if (strcasecmp(buf, "HBM") == 0) {
    for (size_t i = 0; i < mmb__g.nspaces; i++) {
      mmbMemSpace *c = mmb__g.spaces[i];
      if (c->info.layer == MMB_LAYER_HBM && !c->info.user && (!s || c->info.rank < s->info.rank))
        s = c;
    }
  } else {
    s = find_locked(buf);
  }
  pthread_mutex_unlock(&mmb__g.lock);
found:
  if (s == NULL) {
    st = MMB_NOT_FOUND;
    MMB_LOG_INFO(SPACE, "no memory space \"%s\" on this node", mem_layer);
    goto cleanup;
  }
  *space = s;
cleanup:
  return st;
}

mmb_status mmb_space_get_info(const mmbMemSpace *space, mmb_space_info *info)
{
  mmb_status st = MMB_OK;
  MMB_CHECK(SPACE, space != NULL && info != NULL, st, MMB_INVALID_ARG, "space or info is NULL");
  *info = space->info;
  info->limit = atomic_load(&((mmbMemSpace *)space)->limit);
cleanup:
  return st;
}

const char *mmb_space_name(const mmbMemSpace *space)
{
  return space ? space->info.name : "(null)";
}

mmb_status mmb_space_register(const mmb_space_config *cfg, mmbMemSpace **space)
{
  mmb_status st = MMB_OK;
  mmb_space_info info;
  bool locked = false;
  MMB_CHECK(SPACE, mmb__ready(), st, MMB_UNINIT, "libmamba is not initialized");
  MMB_CHECK(SPACE, cfg != NULL && cfg->name != NULL, st, MMB_INVALID_ARG, "config or name is NULL");
  MMB_CHECK(SPACE, cfg->name[0] != '\0' && strlen(cfg->name) < MMB_NAME_MAX, st, MMB_INVALID_ARG,
            "space name empty or longer than %d characters", MMB_NAME_MAX - 1);
  MMB_CHECK(SPACE, (int)cfg->layer >= 0 && cfg->layer < MMB_LAYER_MAX, st, MMB_INVALID_ARG,
            "bad layer %d", (int)cfg->layer);
  MMB_CHECK(SPACE,
            cfg->provider != NULL ||
                (cfg->layer != MMB_LAYER_GPU && cfg->layer != MMB_LAYER_PINNED),
            st, MMB_INVALID_ARG, "a user %s space needs a provider", mmb_layer_name(cfg->layer));
  MMB_CHECK(SPACE, cfg->provider == NULL || (cfg->provider->alloc && cfg->provider->free), st,
            MMB_INVALID_ARG, "provider of space %s lacks alloc or free", cfg->name);
  if (cfg->numa_node >= 0) {
    MMB_CHECK(SPACE, cfg->provider == NULL, st, MMB_INVALID_ARG,
              "space %s: numa_node and a provider exclude each other", cfg->name);
    MMB_CHECK(SPACE, numa_available() >= 0 && cfg->numa_node <= numa_max_node(), st,
              MMB_INVALID_ARG, "space %s: no NUMA node %d", cfg->name, cfg->numa_node);
  }
  memset(&info, 0, sizeof info);
  snprintf(info.name, sizeof info.name, "%s", cfg->name);
  info.layer = cfg->layer;
  info.exec = cfg->layer == MMB_LAYER_GPU ? MMB_EXEC_CUDA : MMB_EXEC_CPU;
  info.numa_node = cfg->numa_node >= 0 ? cfg->numa_node : -1;
  info.device = -1;
  info.limit = cfg->limit;
  info.capacity = cfg->limit;
  info.user = true;
  info.rank = 1000;
  pthread_mutex_lock(&mmb__g.lock);
  locked = true;
  MMB_CHECK(SPACE, find_locked(info.name) == NULL, st, MMB_INVALID_ARG,
            "a space named \"%s\" exists already", info.name);
  MMB_CHECK_CALL(SPACE, st, mmb__space_add(&info, cfg->provider, space), "registering %s",
                 info.name);
  (*space)->info.rank = 1000 + (int)(*space)->index;
cleanup:
  if (locked)
    pthread_mutex_unlock(&mmb__g.lock);
  return st;
}

mmb_status mmb_space_set_limit(mmbMemSpace *space, uint64_t limit)
{
  mmb_status st = MMB_OK;
  MMB_CHECK(SPACE, space != NULL, st, MMB_INVALID_ARG, "space is NULL");
  atomic_store(&space->limit, limit);
cleanup:
  return st;
}

/* ------------------------------------------------------------------ */
/* Raw memory of a layer */

static void *map_aligned(size_t size, size_t align, void **raw_base, size_t *raw_size)
{
  size_t pg = (size_t)sysconf(_SC_PAGESIZE);
  size_t len = mmb__align_up(size, pg);
  size_t over = align > pg ? len + align : len;
  char *p = mmap(NULL, over, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    return NULL;
  char *a = p;
  if (align > pg) {
    a = (char *)mmb__align_up((uintptr_t)p, align);
    if (a > p)
      munmap(p, (size_t)(a - p));
    size_t tail = (size_t)(p + over - (a + len));
    if (tail)
      munmap(a + len, tail);
  }
  *raw_base = a;
  *raw_size = len;
  return a;
}

static void bind_node(mmbMemSpace *s, void *p, size_t len)
{
  static _Atomic int warned;
  unsigned long mask[16] = {0};
  int node = s->info.numa_node;
  if (node < 0 || mmb__g.opt.disable_numa || node >= (int)(sizeof mask * 8))
    return;
  mask[node / (8 * sizeof(unsigned long))] |= 1UL << (node % (8 * sizeof(unsigned long)));
  if (mbind(p, len, MPOL_BIND, mask, sizeof mask * 8, 0) != 0) {
    if (atomic_exchange(&warned, 1) == 0)
      MMB_LOG_WARN(NUMA, "mbind to node %d failed (%s): memory of %s is not bound", node,
                   strerror(errno), s->info.name);
  }
}

mmb_status mmb__raw_alloc(mmbMemSpace *s, size_t size, size_t align, mmb__raw_kind kind, void **ptr,
                          void **raw_base, size_t *raw_size)
{
  mmb_status st = MMB_OK;
  void *p = NULL, *base = NULL;
  size_t rsize = size;
  uint64_t lim = atomic_load_explicit(&s->limit, memory_order_relaxed);
  bool counted = false;
  if (align < MMB_DEFAULT_ALIGNMENT)
    align = MMB_DEFAULT_ALIGNMENT;
  if (lim) {
    uint64_t now = atomic_fetch_add(&s->raw_bytes, size) + size;
    counted = true;
    if (now > lim) {
      st = MMB_LIMIT;
      MMB_LOG_INFO(SPACE, "space %s: %zu more bytes would pass its limit of %" PRIu64, s->info.name,
                   size, lim);
      goto cleanup;
    }
  }
  if (s->has_provider) {
    p = s->provider.alloc(s->provider.ctx, size, align);
    base = p;
  } else if (s->info.layer == MMB_LAYER_GPU || s->info.layer == MMB_LAYER_PINNED) {
    size_t over = size + (align > 256 ? align : 0);
    st = s->info.layer == MMB_LAYER_GPU ? mmb__cuda_malloc(s->info.device, over, &base)
                                        : mmb__cuda_malloc_host(s->info.device, over, &base);
    if (st != MMB_OK)
      goto cleanup;
    p = (void *)mmb__align_up((uintptr_t)base, align);
    rsize = over;
  } else if (kind == MMB__RAW_HEAP && s->info.numa_node < 0) {
    if (posix_memalign(&p, align, size) != 0)
      p = NULL;
    base = p;
  } else {
    p = map_aligned(size, align, &base, &rsize);
    if (p)
      bind_node(s, p, rsize);
  }
  if (p == NULL) {
    st = MMB_OUT_OF_MEMORY;
    atomic_fetch_add(&s->raw_fail, 1);
    MMB_LOG_INFO(SPACE, "space %s: allocation of %zu bytes failed", s->info.name, size);
    goto cleanup;
  }
  if (!counted) {
    atomic_fetch_add(&s->raw_bytes, size);
    counted = true;
  }
  mmb__hwm_update(&s->raw_hwm, atomic_load(&s->raw_bytes));
  atomic_fetch_add(&s->raw_count, 1);
  atomic_fetch_add(&s->raw_total, 1);
  *ptr = p;
  *raw_base = base;
  *raw_size = rsize;
cleanup:
  if (st != MMB_OK && counted)
    atomic_fetch_sub(&s->raw_bytes, size);
  return st;
}

void mmb__raw_free(mmbMemSpace *s, void *raw_base, size_t raw_size, size_t size, mmb__raw_kind kind)
{
  if (s->has_provider) {
    s->provider.free(s->provider.ctx, raw_base, size);
  } else if (s->info.layer == MMB_LAYER_GPU) {
    mmb__cuda_free(s->info.device, raw_base);
  } else if (s->info.layer == MMB_LAYER_PINNED) {
    mmb__cuda_free_host(s->info.device, raw_base);
  } else if (kind == MMB__RAW_HEAP && s->info.numa_node < 0) {
    free(raw_base);
  } else {
    munmap(raw_base, raw_size);
  }
  atomic_fetch_sub(&s->raw_bytes, size);
  atomic_fetch_sub(&s->raw_count, 1);
}
