/* Compiled hot loop of the event reader: TFRecord framing, CRC32C checks, and a minimal
 * protobuf walk that pulls scalar points out of Event records without building messages.
 *
 * It never allocates from a length read out of the file: every length is checked against the
 * bytes actually in the buffer first. Anything that is not a plain scalar event is handed
 * back to Python (inspector/events/decode.py) as a (offset, length) pair, and so is any
 * record this walk does not fully understand; Python's protobuf then decides.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "inspector._scan assumes a little-endian machine"
#endif

/* ---------------------------------------------------------------- CRC32C (Castagnoli) */

static uint32_t crc_table[8][256];

static void crc_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        crc_table[0][i] = c;
    }
    for (int t = 1; t < 8; t++)
        for (int i = 0; i < 256; i++)
            crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xff];
}

static uint32_t crc32c_sw(const uint8_t *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        w ^= c;
        c = crc_table[7][w & 0xff] ^ crc_table[6][(w >> 8) & 0xff] ^
            crc_table[5][(w >> 16) & 0xff] ^ crc_table[4][(w >> 24) & 0xff] ^
            crc_table[3][(w >> 32) & 0xff] ^ crc_table[2][(w >> 40) & 0xff] ^
            crc_table[1][(w >> 48) & 0xff] ^ crc_table[0][w >> 56];
        p += 8;
        n -= 8;
    }
    while (n--) c = crc_table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(const uint8_t *p, size_t n) {
    uint64_t c = 0xFFFFFFFFu;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c = _mm_crc32_u64(c, w);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n--) c32 = _mm_crc32_u8(c32, *p++);
    return c32 ^ 0xFFFFFFFFu;
}
#define HAVE_HW_CRC 1
#endif

static uint32_t (*crc32c)(const uint8_t *, size_t) = crc32c_sw;

static inline uint32_t masked_crc(const uint8_t *p, size_t n) {
    uint32_t c = crc32c(p, n);
    return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

static inline uint32_t load_u32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline uint64_t load_u64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* ---------------------------------------------------------------- protobuf walking */

typedef struct {
    const uint8_t *p;
    const uint8_t *end;
} cursor;

/* Returns 0 on success, -1 on malformed input. */
static inline int read_varint(cursor *c, uint64_t *out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (c->p >= c->end) return -1;
        uint8_t b = *c->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

/* Skips a field of the given wire type; -1 if malformed or a group (never used here). */
static inline int skip_field(cursor *c, int wire) {
    uint64_t n;
    switch (wire) {
    case 0:
        return read_varint(c, &n);
    case 1:
        if (c->end - c->p < 8) return -1;
        c->p += 8;
        return 0;
    case 2:
        if (read_varint(c, &n) < 0 || n > (uint64_t)(c->end - c->p)) return -1;
        c->p += n;
        return 0;
    case 5:
        if (c->end - c->p < 4) return -1;
        c->p += 4;
        return 0;
    default:
        return -1;
    }
}

/* Reads a length-delimited field's body into sub. */
static inline int read_sub(cursor *c, cursor *sub) {
    uint64_t n;
    if (read_varint(c, &n) < 0 || n > (uint64_t)(c->end - c->p)) return -1;
    sub->p = c->p;
    sub->end = c->p + n;
    c->p += n;
    return 0;
}

static const char SCALARS_PLUGIN[] = "scalars";

/* 1 if this SummaryMetadata names the scalars plugin, 0 if it names another plugin, 2 if it
 * names none (the value's kind is then its tag's first metadata's), -1 if malformed. */
static int metadata_is_scalars(cursor m) {
    int found = 2;
    while (m.p < m.end) {
        uint64_t key;
        if (read_varint(&m, &key) < 0) return -1;
        int field = (int)(key >> 3), wire = (int)(key & 7);
        if (field == 1 && wire == 2) {
            cursor pd;
            if (read_sub(&m, &pd) < 0) return -1;
            while (pd.p < pd.end) {
                uint64_t k2;
                if (read_varint(&pd, &k2) < 0) return -1;
                if ((k2 >> 3) == 1 && (k2 & 7) == 2) {
                    cursor name;
                    if (read_sub(&pd, &name) < 0) return -1;
                    if (name.end == name.p)
                        found = 2;
                    else
                        found = (name.end - name.p == (ptrdiff_t)(sizeof(SCALARS_PLUGIN) - 1) &&
                                 memcmp(name.p, SCALARS_PLUGIN, sizeof(SCALARS_PLUGIN) - 1) == 0);
                } else if (skip_field(&pd, (int)(k2 & 7)) < 0) {
                    return -1;
                }
            }
        } else if (skip_field(&m, wire) < 0) {
            return -1;
        }
    }
    return found;
}

/* A rank-0 float or double tensor: 1 and *out set; 0 if the tensor is anything else. */
static int tensor_scalar(cursor t, double *out) {
    uint64_t dtype = 0;
    int count = 0, rank = 0;
    double value = 0.0;
    const uint8_t *content = NULL;
    size_t content_len = 0;
    while (t.p < t.end) {
        uint64_t key;
        if (read_varint(&t, &key) < 0) return 0;
        int field = (int)(key >> 3), wire = (int)(key & 7);
        if (field == 1 && wire == 0) {
            if (read_varint(&t, &dtype) < 0) return 0;
        } else if (field == 2 && wire == 2) {
            cursor shape;
            if (read_sub(&t, &shape) < 0) return 0;
            while (shape.p < shape.end) {
                uint64_t k2;
                if (read_varint(&shape, &k2) < 0) return 0;
                if ((k2 >> 3) == 2) rank++;
                if (skip_field(&shape, (int)(k2 & 7)) < 0) return 0;
            }
        } else if (field == 4 && wire == 2) {
            cursor body;
            if (read_sub(&t, &body) < 0) return 0;
            content = body.p;
            content_len = (size_t)(body.end - body.p);
        } else if (field == 5 && wire == 2) { /* packed float_val */
            cursor body;
            if (read_sub(&t, &body) < 0 || body.end - body.p != 4) return 0;
            float f;
            memcpy(&f, body.p, 4);
            value = f;
            count++;
        } else if (field == 5 && wire == 5) {
            float f;
            if (t.end - t.p < 4) return 0;
            memcpy(&f, t.p, 4);
            t.p += 4;
            value = f;
            count++;
        } else if (field == 6 && wire == 2) { /* packed double_val */
            cursor body;
            if (read_sub(&t, &body) < 0 || body.end - body.p != 8) return 0;
            memcpy(&value, body.p, 8);
            count++;
        } else if (field == 6 && wire == 1) {
            if (t.end - t.p < 8) return 0;
            memcpy(&value, t.p, 8);
            t.p += 8;
            count++;
        } else {
            return 0; /* any other value field: not ours */
        }
    }
    if (rank != 0) return 0;
    if (content != NULL) {
        if (count) return 0;
        if (dtype == 1 && content_len == 4) {
            float f;
            memcpy(&f, content, 4);
            value = f;
        } else if (dtype == 2 && content_len == 8) {
            memcpy(&value, content, 8);
        } else {
            return 0;
        }
        count = 1;
    }
    if (count != 1 || (dtype != 1 && dtype != 2)) return 0;
    *out = value;
    return 1;
}

/* One scalar point, as handed to Python (numpy reads this layout as a structured dtype). */
typedef struct {
    int64_t step;
    double wall_time;
    double value;
    uint64_t tag_hash;
    int64_t tag_offset;
    int64_t tag_length;
    int64_t record_offset; /* of the event payload, to order points across code paths */
    int32_t record_length; /* of the event payload, to hand it to Python if need be */
    int32_t flags;         /* POINT_NEEDS_KIND: a tensor without metadata (see value_scalar) */
} scalar_point;

/* A rank-0 float tensor whose value names no plugin (TF1's FileWriter writes a tag's
 * metadata on its first value only): a scalar if the tag's first metadata says so, which only
 * Python knows. */
#define POINT_NEEDS_KIND 1

typedef struct {
    char *data;
    size_t len, cap;
} growbuf;

static int grow_append(growbuf *g, const void *item, size_t size) {
    if (g->len + size > g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 4096;
        while (cap < g->len + size) cap *= 2;
        char *d = PyMem_Realloc(g->data, cap);
        if (!d) return -1;
        g->data = d;
        g->cap = cap;
    }
    memcpy(g->data + g->len, item, size);
    g->len += size;
    return 0;
}

static inline uint64_t fnv1a(const uint8_t *p, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

/* Walks one Summary.Value. Returns 1 and fills pt if it is a plain scalar, 0 otherwise. */
static int value_scalar(cursor v, const uint8_t *base, scalar_point *pt) {
    int have_tag = 0, have_simple = 0, have_tensor = 0, is_scalar_plugin = 2;
    double value = 0.0;
    while (v.p < v.end) {
        uint64_t key;
        if (read_varint(&v, &key) < 0) return 0;
        int field = (int)(key >> 3), wire = (int)(key & 7);
        if (field == 1 && wire == 2) {
            cursor tag;
            if (read_sub(&v, &tag) < 0) return 0;
            pt->tag_offset = tag.p - base;
            pt->tag_length = tag.end - tag.p;
            pt->tag_hash = fnv1a(tag.p, (size_t)(tag.end - tag.p));
            have_tag = tag.end > tag.p;
        } else if (field == 2 && wire == 5) {
            float f;
            if (v.end - v.p < 4) return 0;
            memcpy(&f, v.p, 4);
            v.p += 4;
            value = f;
            have_simple = 1;
        } else if (field == 8 && wire == 2) {
            cursor t;
            if (read_sub(&v, &t) < 0 || !tensor_scalar(t, &value)) return 0;
            have_tensor = 1;
        } else if (field == 9 && wire == 2) {
            cursor m;
            if (read_sub(&v, &m) < 0) return 0;
            int r = metadata_is_scalars(m);
            if (r < 0) return 0;
            is_scalar_plugin = r;
        } else if (field == 7 && wire == 2) {
            if (skip_field(&v, wire) < 0) return 0;
        } else {
            return 0; /* image, histogram, audio, or something new: Python decodes it */
        }
    }
    if (!have_tag || have_simple + have_tensor != 1) return 0;
    if (have_tensor && is_scalar_plugin == 0) return 0;
    pt->flags = (have_tensor && is_scalar_plugin == 2) ? POINT_NEEDS_KIND : 0;
    pt->value = value;
    return 1;
}

/* Reads an Event's wall time, step and (at most one) summary; other fields allowed: a
 * source metadata (10). Returns 0 for anything else, which Python must decode. */
static int event_header(cursor c, double *wall, uint64_t *step, cursor *summary) {
    while (c.p < c.end) {
        uint64_t key;
        if (read_varint(&c, &key) < 0) return 0;
        int field = (int)(key >> 3), wire = (int)(key & 7);
        if (field == 1 && wire == 1) {
            if (c.end - c.p < 8) return 0;
            memcpy(wall, c.p, 8);
            c.p += 8;
        } else if (field == 2 && wire == 0) {
            if (read_varint(&c, step) < 0) return 0;
        } else if (field == 5 && wire == 2) {
            if (summary->p != NULL || read_sub(&c, summary) < 0) return 0;
        } else if (field == 10 && wire == 2) {
            if (skip_field(&c, wire) < 0) return 0;
        } else {
            return 0;
        }
    }
    return 1;
}

/* Walks one Event. Appends its scalar points and returns 1 if every value was a plain
 * scalar; returns 0 (appending nothing) if Python must decode the event. -1: no memory. */
static int event_scalars(const uint8_t *p, size_t n, const uint8_t *base, growbuf *out) {
    cursor c = {p, p + n}, summary = {NULL, NULL};
    double wall = 0.0;
    uint64_t step = 0;
    if (!event_header(c, &wall, &step, &summary)) return 0;
    if (summary.p == NULL || n > INT32_MAX) return 0;
    size_t mark = out->len;
    int count = 0;
    while (summary.p < summary.end) {
        uint64_t key;
        cursor v;
        if (read_varint(&summary, &key) < 0 || (key >> 3) != 1 || (key & 7) != 2 ||
            read_sub(&summary, &v) < 0) {
            out->len = mark;
            return 0;
        }
        scalar_point pt;
        pt.step = (int64_t)step;
        pt.wall_time = wall;
        pt.record_offset = p - base;
        pt.record_length = (int32_t)n;
        if (!value_scalar(v, base, &pt)) {
            out->len = mark;
            return 0;
        }
        if (grow_append(out, &pt, sizeof pt) < 0) return -1;
        count++;
    }
    if (count == 0) {
        out->len = mark;
        return 0;
    }
    return 1;
}

/* ---------------------------------------------------------------- tensor events */

/* One event of a single tensor value (a histogram, a kernel, a generic tensor...), indexed
 * without decoding: Python keeps the TensorProto bytes and converts them when shown. Only
 * tensors whose values are all in tensor_content, of a numeric dtype, with a shape that
 * matches the content's length are indexed (so converting them later cannot fail); any other
 * event goes to Python's protobuf as before. */
typedef struct {
    int64_t step;
    double wall_time;
    uint64_t tag_hash;
    int64_t tag_offset;
    int64_t record_offset;
    int64_t tensor_offset;  /* of the serialized TensorProto */
    int64_t plugin_offset;  /* of the metadata's plugin name; -1: the value has no metadata */
    int64_t content_offset; /* of the metadata's plugin content; -1: none */
    int64_t elements;
    int64_t dim0, dim1;
    int32_t tag_length, record_length, tensor_length, plugin_length, content_length;
    int32_t rank, dtype, pad;
} tensor_entry;

#define MAX_ELEMENTS (1LL << 28) /* inspector/events/tensors.py MAX_ELEMENTS */

/* Bytes per element of the numeric dtypes TensorProto.tensor_content may hold; 0: not one
 * (strings, bfloat16, resources, variants: Python decodes those). */
static int dtype_size(uint64_t dtype) {
    switch (dtype) {
    case 1: return 4;  /* float */
    case 2: return 8;  /* double */
    case 3: return 4;  /* int32 */
    case 4: return 1;  /* uint8 */
    case 5: return 2;  /* int16 */
    case 6: return 1;  /* int8 */
    case 8: return 8;  /* complex64 */
    case 9: return 8;  /* int64 */
    case 10: return 1; /* bool */
    case 17: return 2; /* uint16 */
    case 18: return 16; /* complex128 */
    case 19: return 2; /* half */
    case 22: return 4; /* uint32 */
    case 23: return 8; /* uint64 */
    default: return 0;
    }
}

/* 1 if the TensorProto in t is indexable (see above), filling e's shape fields. */
static int tensor_check(cursor t, tensor_entry *e) {
    uint64_t dtype = 0;
    int64_t elements = 1;
    int rank = 0;
    int64_t dims[2] = {0, 0};
    size_t content_len = 0;
    int have_content = 0;
    while (t.p < t.end) {
        uint64_t key;
        if (read_varint(&t, &key) < 0) return 0;
        int field = (int)(key >> 3), wire = (int)(key & 7);
        if (field == 1 && wire == 0) {
            if (read_varint(&t, &dtype) < 0) return 0;
        } else if (field == 2 && wire == 2) {
            cursor shape;
            if (read_sub(&t, &shape) < 0) return 0;
            while (shape.p < shape.end) {
                uint64_t k2;
                if (read_varint(&shape, &k2) < 0) return 0;
                if ((k2 >> 3) == 2 && (k2 & 7) == 2) {
                    cursor dim;
                    uint64_t size = 0;
                    if (read_sub(&shape, &dim) < 0) return 0;
                    while (dim.p < dim.end) {
                        uint64_t k3;
                        if (read_varint(&dim, &k3) < 0) return 0;
                        if ((k3 >> 3) == 1 && (k3 & 7) == 0) {
                            if (read_varint(&dim, &size) < 0) return 0;
                        } else if (skip_field(&dim, (int)(k3 & 7)) < 0) {
                            return 0;
                        }
                    }
                    if (size > (uint64_t)MAX_ELEMENTS) return 0; /* negative too */
                    if (rank < 2) dims[rank] = (int64_t)size;
                    rank++;
                    elements *= (int64_t)size;
                    if (elements > MAX_ELEMENTS) return 0;
                } else if ((k2 >> 3) == 3) {
                    return 0; /* unknown_rank */
                } else if (skip_field(&shape, (int)(k2 & 7)) < 0) {
                    return 0;
                }
            }
        } else if (field == 3 && wire == 0) {
            uint64_t version;
            if (read_varint(&t, &version) < 0) return 0;
        } else if (field == 4 && wire == 2) {
            cursor body;
            if (read_sub(&t, &body) < 0) return 0;
            content_len = (size_t)(body.end - body.p);
            have_content = content_len > 0;
        } else {
            return 0; /* values in repeated fields, strings, or something new */
        }
    }
    int size = dtype_size(dtype);
    if (!size) return 0;
    if (have_content ? (uint64_t)content_len != (uint64_t)elements * (uint64_t)size
                     : elements != 0)
        return 0;
    e->elements = elements;
    e->rank = rank;
    e->dim0 = dims[0];
    e->dim1 = dims[1];
    e->dtype = (int32_t)dtype;
    return 1;
}

/* Fills e's plugin name and content from a SummaryMetadata; 0 if malformed. */
static int metadata_plugin(cursor m, const uint8_t *base, tensor_entry *e) {
    e->plugin_offset = m.p - base; /* metadata present, plugin name empty until found */
    e->plugin_length = 0;
    while (m.p < m.end) {
        uint64_t key;
        if (read_varint(&m, &key) < 0) return 0;
        if ((key >> 3) == 1 && (key & 7) == 2) {
            cursor pd;
            if (read_sub(&m, &pd) < 0) return 0;
            while (pd.p < pd.end) {
                uint64_t k2;
                if (read_varint(&pd, &k2) < 0) return 0;
                if ((k2 & 7) == 2 && ((k2 >> 3) == 1 || (k2 >> 3) == 2)) {
                    cursor body;
                    if (read_sub(&pd, &body) < 0 || body.end - body.p > INT32_MAX) return 0;
                    if ((k2 >> 3) == 1) {
                        e->plugin_offset = body.p - base;
                        e->plugin_length = (int32_t)(body.end - body.p);
                    } else {
                        e->content_offset = body.p - base;
                        e->content_length = (int32_t)(body.end - body.p);
                    }
                } else if (skip_field(&pd, (int)(k2 & 7)) < 0) {
                    return 0;
                }
            }
        } else if (skip_field(&m, (int)(key & 7)) < 0) {
            return 0;
        }
    }
    return 1;
}

/* Indexes an Event holding one tensor value; 1 if appended, 0 if Python must decode it,
 * -1: no memory. */
static int event_tensor(const uint8_t *p, size_t n, const uint8_t *base, growbuf *out) {
    cursor c = {p, p + n}, summary = {NULL, NULL};
    double wall = 0.0;
    uint64_t step = 0;
    if (n > INT32_MAX) return 0;
    if (!event_header(c, &wall, &step, &summary)) return 0;
    uint64_t key;
    cursor v;
    if (summary.p == NULL || read_varint(&summary, &key) < 0 || key != ((1 << 3) | 2) ||
        read_sub(&summary, &v) < 0 || summary.p != summary.end)
        return 0; /* not exactly one value */
    tensor_entry e;
    memset(&e, 0, sizeof e);
    e.plugin_offset = e.content_offset = -1;
    int have_tag = 0, have_tensor = 0;
    while (v.p < v.end) {
        if (read_varint(&v, &key) < 0) return 0;
        int field = (int)(key >> 3), wire = (int)(key & 7);
        cursor sub;
        if (wire != 2 || read_sub(&v, &sub) < 0) return 0;
        if (field == 1) {
            if (sub.end - sub.p > INT32_MAX) return 0;
            e.tag_offset = sub.p - base;
            e.tag_length = (int32_t)(sub.end - sub.p);
            e.tag_hash = fnv1a(sub.p, (size_t)(sub.end - sub.p));
            have_tag = sub.end > sub.p;
        } else if (field == 8) {
            if (sub.end - sub.p > INT32_MAX || !tensor_check(sub, &e)) return 0;
            e.tensor_offset = sub.p - base;
            e.tensor_length = (int32_t)(sub.end - sub.p);
            have_tensor = 1;
        } else if (field == 9) {
            if (!metadata_plugin(sub, base, &e)) return 0;
        } else if (field != 7) { /* node_name is skipped; anything else: Python */
            return 0;
        }
    }
    if (!have_tag || !have_tensor) return 0;
    e.step = (int64_t)step;
    e.wall_time = wall;
    e.record_offset = p - base;
    e.record_length = (int32_t)n;
    return grow_append(out, &e, sizeof e) < 0 ? -1 : 1;
}

/* ---------------------------------------------------------------- framing */

/* The first offset in [from, end) where a record header passes its CRC and either the whole
 * record is in the buffer and passes its data CRC (*complete = 1), or, unless complete_only,
 * the record runs past the buffer (*complete = 0) and only more bytes can tell. -1: none. */
static Py_ssize_t find_record(const uint8_t *b, size_t from, size_t end, int complete_only,
                              int *complete) {
    for (size_t q = from; q + 12 <= end; q++) {
        if (masked_crc(b + q, 8) != load_u32(b + q + 8)) continue;
        uint64_t len = load_u64(b + q);
        if (end - q < 16 || len > end - q - 16) {
            if (complete_only) continue;
            *complete = 0;
            return (Py_ssize_t)q;
        }
        if (masked_crc(b + q + 12, (size_t)len) == load_u32(b + q + 12 + len)) {
            *complete = 1;
            return (Py_ssize_t)q;
        }
    }
    return -1;
}

enum { STOP_END = 0, STOP_INCOMPLETE = 1 };

PyDoc_STRVAR(scan_doc,
"scan(buffer, start, end) -> (stop, reason, need, scalars, others, damage, tensors)\n\n"
"Walks TFRecord records in buffer[start:end]. stop is where reading stopped; reason 0 means\n"
"every byte was used, 1 means a record starting at stop needs `need` bytes in all (its length\n"
"passed its CRC) or its 12-byte header is not all there yet. scalars is a bytes object of\n"
"packed scalar points, others a bytes object of (offset, length) int64 pairs of the event\n"
"payloads Python must decode, damage a list of (start, end, reason) for skipped bytes,\n"
"tensors a bytes object of packed entries of single-tensor events (see tensor_entry).");

static PyObject *scan(PyObject *self, PyObject *args) {
    Py_buffer view;
    Py_ssize_t start, end;
    if (!PyArg_ParseTuple(args, "y*nn", &view, &start, &end)) return NULL;
    if (start < 0 || end > view.len || start > end) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "scan: start/end outside the buffer");
        return NULL;
    }
    const uint8_t *b = view.buf;
    growbuf scalars = {0}, others = {0}, tensors = {0};
    PyObject *damage = PyList_New(0);
    size_t off = (size_t)start, stop_at = (size_t)end;
    int reason = STOP_END;
    uint64_t need = 0;
    int failed = damage == NULL;

    Py_BEGIN_ALLOW_THREADS
    while (!failed && off < stop_at) {
        if (stop_at - off < 12) {
            reason = STOP_INCOMPLETE;
            need = 12;
            break;
        }
        if (masked_crc(b + off, 8) != load_u32(b + off + 8)) {
            /* The length cannot be trusted: look for the next whole valid record. */
            int complete = 0;
            Py_ssize_t next = find_record(b, off + 1, stop_at, 0, &complete);
            size_t until = next < 0 ? stop_at : (size_t)next;
            if (next < 0) {
                /* Nothing valid in the rest of the buffer: a later read may hold more, so
                 * report the bytes but keep the last 15 (a record header may start there). */
                until = stop_at - off > 15 ? stop_at - 15 : off;
                if (until == off) {
                    reason = STOP_INCOMPLETE;
                    need = 16;
                    break;
                }
            }
            Py_BLOCK_THREADS
            PyObject *d = Py_BuildValue("(nns)", (Py_ssize_t)off, (Py_ssize_t)until, "length_crc");
            if (!d || PyList_Append(damage, d) < 0) failed = 1;
            Py_XDECREF(d);
            Py_UNBLOCK_THREADS
            off = until;
            if (next >= 0 && !complete) {
                reason = STOP_INCOMPLETE;
                need = load_u64(b + off) + 16;
                if (need < 16) need = UINT64_MAX;
                break;
            }
            continue;
        }
        uint64_t len = load_u64(b + off);
        if (len > stop_at - off - 12 || stop_at - off - 12 - len < 4) {
            reason = STOP_INCOMPLETE;
            need = len + 16 < len ? UINT64_MAX : len + 16;
            break;
        }
        const uint8_t *data = b + off + 12;
        if (masked_crc(data, (size_t)len) != load_u32(data + len)) {
            Py_BLOCK_THREADS
            PyObject *d = Py_BuildValue("(nns)", (Py_ssize_t)off, (Py_ssize_t)(off + 16 + len), "data_crc");
            if (!d || PyList_Append(damage, d) < 0) failed = 1;
            Py_XDECREF(d);
            Py_UNBLOCK_THREADS
        } else {
            int r = event_scalars(data, (size_t)len, b, &scalars);
            if (r == 0) r = event_tensor(data, (size_t)len, b, &tensors);
            if (r < 0) {
                failed = 1;
            } else if (r == 0) {
                int64_t pair[2] = {(int64_t)(off + 12), (int64_t)len};
                if (grow_append(&others, pair, sizeof pair) < 0) failed = 1;
            }
        }
        off += 16 + len;
    }
    Py_END_ALLOW_THREADS

    PyObject *result = NULL;
    if (!failed) {
        result = Py_BuildValue("(niKy#y#Oy#)", (Py_ssize_t)off, reason, (unsigned long long)need,
                               scalars.data ? scalars.data : "", (Py_ssize_t)scalars.len,
                               others.data ? others.data : "", (Py_ssize_t)others.len, damage,
                               tensors.data ? tensors.data : "", (Py_ssize_t)tensors.len);
    } else if (!PyErr_Occurred()) {
        PyErr_NoMemory();
    }
    PyMem_Free(scalars.data);
    PyMem_Free(others.data);
    PyMem_Free(tensors.data);
    Py_XDECREF(damage);
    PyBuffer_Release(&view);
    return result;
}

PyDoc_STRVAR(find_record_doc,
"find_record(buffer, start, end) -> int\n\n"
"Offset of the first whole, CRC-valid record in buffer[start:end], or -1.");

static PyObject *py_find_record(PyObject *self, PyObject *args) {
    Py_buffer view;
    Py_ssize_t start, end, found;
    if (!PyArg_ParseTuple(args, "y*nn", &view, &start, &end)) return NULL;
    if (start < 0 || end > view.len || start > end) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "find_record: start/end outside the buffer");
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    int complete = 0;
    found = find_record(view.buf, (size_t)start, (size_t)end, 1, &complete);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    return PyLong_FromSsize_t(found);
}

PyDoc_STRVAR(masked_crc_doc, "masked_crc32c(data) -> int: TFRecord's masked CRC32C of data.");

static PyObject *py_masked_crc(PyObject *self, PyObject *args) {
    Py_buffer view;
    if (!PyArg_ParseTuple(args, "y*", &view)) return NULL;
    uint32_t c = masked_crc(view.buf, (size_t)view.len);
    PyBuffer_Release(&view);
    return PyLong_FromUnsignedLong(c);
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_VARARGS, scan_doc},
    {"find_record", py_find_record, METH_VARARGS, find_record_doc},
    {"masked_crc32c", py_masked_crc, METH_VARARGS, masked_crc_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_scan", "Compiled TFRecord and scalar-event scanner.", -1, methods,
};

PyMODINIT_FUNC PyInit__scan(void) {
    crc_init();
#ifdef HAVE_HW_CRC
    __builtin_cpu_init();
    if (__builtin_cpu_supports("sse4.2")) crc32c = crc32c_hw;
#endif
    PyObject *m = PyModule_Create(&module);
    if (m && (PyModule_AddIntConstant(m, "POINT_SIZE", (long)sizeof(scalar_point)) < 0 ||
              PyModule_AddIntConstant(m, "TENSOR_ENTRY_SIZE", (long)sizeof(tensor_entry)) < 0)) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
