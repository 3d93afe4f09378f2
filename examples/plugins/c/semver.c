/*
 * semver: a Cairn plugin in C (plugin ABI version 1, docs/plugins.md).
 *
 * Functions: `bump` and `compare` on semantic versions. Policy: `pinned_images` denies
 * resources with a container image that is not pinned (no tag, or `:latest`).
 *
 * Freestanding C: no libc, no WASI. Build with ./build.sh (clang --target=wasm32).
 */

typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long usize;
typedef long long i64;
typedef unsigned long long u64;

/* The manifest (semver.manifest) is added by build.sh as the custom section `cairn.manifest`. */

enum { T_NULL, T_FALSE, T_TRUE, T_INT, T_FLOAT, T_STRING, T_LIST, T_OBJECT, T_ERROR };

/* clang may call these for copies and zeroing. */
void *memcpy(void *d, const void *s, usize n) {
    u8 *a = d;
    const u8 *b = s;
    while (n--) *a++ = *b++;
    return d;
}
void *memset(void *d, int c, usize n) {
    u8 *a = d;
    while (n--) *a++ = (u8)c;
    return d;
}

/* ---- memory: one arena, emptied at the start of every call ---- */

extern u8 __heap_base;
static u8 *top;

static int reserve(usize end) {
    usize have = __builtin_wasm_memory_size(0) * 65536;
    if (end <= have) return 1;
    usize pages = (end - have + 65535) / 65536;
    return __builtin_wasm_memory_grow(0, pages) != (usize)-1;
}

static u8 *alloc(u32 n) {
    u8 *p = top;
    if (!reserve((usize)p + n)) return 0;
    top = p + n;
    return p;
}

/* The host calls this once before every call, for the arguments. */
__attribute__((export_name("cairn_alloc"))) u8 *cairn_alloc(u32 n) {
    top = &__heap_base;
    return alloc(n);
}

/* ---- reading values ---- */

typedef struct { const u8 *p, *end; int ok; } reader;

static u32 rd_u32(reader *r) {
    if (r->end - r->p < 4) { r->ok = 0; return 0; }
    u32 v = r->p[0] | r->p[1] << 8 | r->p[2] << 16 | (u32)r->p[3] << 24;
    r->p += 4;
    return v;
}

static u8 rd_tag(reader *r) {
    if (r->p >= r->end) { r->ok = 0; return T_NULL; }
    return *r->p++;
}

/* A string's bytes (not NUL-terminated). */
typedef struct { const u8 *s; u32 n; } str;

static str rd_str(reader *r) {
    str s = {0, 0};
    s.n = rd_u32(r);
    if (!r->ok || (usize)(r->end - r->p) < s.n) { r->ok = 0; s.n = 0; return s; }
    s.s = r->p;
    r->p += s.n;
    return s;
}

static int eq(str a, const char *b) {
    u32 i = 0;
    for (; i < a.n; i++) if (!b[i] || a.s[i] != (u8)b[i]) return 0;
    return b[i] == 0;
}

static void skip(reader *r);

static void skip_body(reader *r, u8 tag) {
    u32 n;
    switch (tag) {
    case T_INT: case T_FLOAT: if (r->end - r->p < 8) r->ok = 0; else r->p += 8; break;
    case T_STRING: rd_str(r); break;
    case T_LIST: n = rd_u32(r); while (r->ok && n--) skip(r); break;
    case T_OBJECT: n = rd_u32(r); while (r->ok && n--) { rd_str(r); skip(r); } break;
    case T_NULL: case T_FALSE: case T_TRUE: break;
    default: r->ok = 0;
    }
}

static void skip(reader *r) { skip_body(r, rd_tag(r)); }

/* ---- writing values: straight onto the arena ---- */

typedef struct { u8 *start; int ok; } writer;

static void put(writer *w, const void *b, u32 n) {
    u8 *p = alloc(n);
    if (!p) { w->ok = 0; return; }
    memcpy(p, b, n);
}
static void put_u8(writer *w, u8 v) { put(w, &v, 1); }
static void put_u32(writer *w, u32 v) { put(w, &v, 4); } /* wasm32 is little-endian */
static void put_str(writer *w, u8 tag, const u8 *s, u32 n) { put_u8(w, tag); put_u32(w, n); put(w, s, n); }

static void put_key(writer *w, const char *k) {
    u32 n = 0;
    while (k[n]) n++;
    put_u32(w, n);
    put(w, k, n);
}

static writer begin(void) { writer w = {top, 1}; return w; }

static i64 done(writer *w) {
    if (!w->ok) return 0; /* a zero-length result is malformed: the host reports it */
    return (i64)((u64)(usize)w->start << 32 | (u64)(top - w->start));
}

static i64 fail(const char *message) {
    writer w = begin();
    u32 n = 0;
    while (message[n]) n++;
    put_str(&w, T_ERROR, (const u8 *)message, n);
    return done(&w);
}

/* ---- semantic versions ---- */

typedef struct { u64 part[3]; int ok; } version;

static version parse(str s) {
    version v = {{0, 0, 0}, 1};
    u32 i = 0;
    for (int k = 0; k < 3; k++) {
        if (i >= s.n || s.s[i] < '0' || s.s[i] > '9') { v.ok = 0; return v; }
        while (i < s.n && s.s[i] >= '0' && s.s[i] <= '9') {
            if (v.part[k] > 1000000000ull) { v.ok = 0; return v; }
            v.part[k] = v.part[k] * 10 + (s.s[i++] - '0');
        }
        if (k < 2) {
            if (i >= s.n || s.s[i] != '.') { v.ok = 0; return v; }
            i++;
        }
    }
    v.ok = i == s.n;
    return v;
}

static u32 digits(u64 n, u8 *out) {
    u8 tmp[20];
    u32 k = 0;
    do { tmp[k++] = (u8)('0' + n % 10); n /= 10; } while (n);
    for (u32 i = 0; i < k; i++) out[i] = tmp[k - 1 - i];
    return k;
}

__attribute__((export_name("bump"))) i64 bump(const u8 *p, u32 n) {
    reader r = {p, p + n, 1};
    if (rd_tag(&r) != T_LIST || rd_u32(&r) != 2) return fail("expected two arguments");
    if (rd_tag(&r) != T_STRING) return fail("the version must be a string");
    str s = rd_str(&r);
    if (rd_tag(&r) != T_STRING) return fail("the part must be a string");
    str part = rd_str(&r);
    if (!r.ok) return fail("malformed arguments");
    version v = parse(s);
    if (!v.ok) return fail("not a version of the form MAJOR.MINOR.PATCH");
    if (eq(part, "major")) { v.part[0]++; v.part[1] = 0; v.part[2] = 0; }
    else if (eq(part, "minor")) { v.part[1]++; v.part[2] = 0; }
    else if (eq(part, "patch")) { v.part[2]++; }
    else return fail("the part is major, minor or patch");
    u8 text[64];
    u32 len = 0;
    for (int k = 0; k < 3; k++) {
        len += digits(v.part[k], text + len);
        if (k < 2) text[len++] = '.';
    }
    writer w = begin();
    put_str(&w, T_STRING, text, len);
    return done(&w);
}

__attribute__((export_name("compare"))) i64 compare(const u8 *p, u32 n) {
    reader r = {p, p + n, 1};
    if (rd_tag(&r) != T_LIST || rd_u32(&r) != 2) return fail("expected two arguments");
    str a = (rd_tag(&r), rd_str(&r));
    str b = (rd_tag(&r), rd_str(&r));
    version x = parse(a), y = parse(b);
    if (!r.ok || !x.ok || !y.ok) return fail("not a version of the form MAJOR.MINOR.PATCH");
    i64 c = 0;
    for (int k = 0; k < 3 && !c; k++) c = x.part[k] < y.part[k] ? -1 : x.part[k] > y.part[k];
    writer w = begin();
    put_u8(&w, T_INT);
    put(&w, &c, 8);
    return done(&w);
}

/* ---- the policy ---- */

/* Whether an image reference names a tag other than `latest`, or a digest. */
static int pinned(str image) {
    u32 slash = 0, colon = 0;
    for (u32 i = 0; i < image.n; i++) {
        if (image.s[i] == '@') return 1;
        if (image.s[i] == '/') slash = i + 1;
        if (image.s[i] == ':') colon = i + 1;
    }
    if (colon <= slash) return 0;
    str tag = {image.s + colon, image.n - colon};
    return !eq(tag, "latest");
}

/* Finds the first unpinned `image` string anywhere in a value; sets *bad to it. */
static void find_unpinned(reader *r, str *bad) {
    u8 tag = rd_tag(r);
    u32 n;
    switch (tag) {
    case T_LIST: n = rd_u32(r); while (r->ok && n--) find_unpinned(r, bad); break;
    case T_OBJECT:
        n = rd_u32(r);
        while (r->ok && n--) {
            str key = rd_str(r);
            if (eq(key, "image") && r->p < r->end && *r->p == T_STRING) {
                r->p++;
                str image = rd_str(r);
                if (!bad->s && !pinned(image)) *bad = image;
            } else {
                find_unpinned(r, bad);
            }
        }
        break;
    default: skip_body(r, tag);
    }
}

__attribute__((export_name("pinned_images"))) i64 pinned_images(const u8 *p, u32 n) {
    reader r = {p, p + n, 1};
    if (rd_tag(&r) != T_LIST || rd_u32(&r) != 1 || rd_tag(&r) != T_LIST) return fail("expected the resources");
    u32 count = rd_u32(&r);
    writer w = begin();
    put_u8(&w, T_LIST);
    u8 *count_at = top;
    put_u32(&w, 0);
    u32 decisions = 0;
    while (r.ok && count--) {
        if (rd_tag(&r) != T_OBJECT) return fail("a resource is not an object");
        u32 fields = rd_u32(&r);
        str address = {0, 0}, bad = {0, 0};
        while (r.ok && fields--) {
            str key = rd_str(&r);
            if (eq(key, "address") && r.p < r.end && *r.p == T_STRING) {
                r.p++;
                address = rd_str(&r);
            } else if (eq(key, "attributes")) {
                find_unpinned(&r, &bad);
            } else {
                skip(&r);
            }
        }
        if (!bad.s) continue;
        /* {resource: address, allow: false, message: "..."} */
        put_u8(&w, T_OBJECT);
        put_u32(&w, 3);
        put_key(&w, "resource");
        put_str(&w, T_STRING, address.s, address.n);
        put_key(&w, "allow");
        put_u8(&w, T_FALSE);
        put_key(&w, "message");
        static const char prefix[] = "the image `";
        static const char suffix[] = "` is not pinned: name a version tag or a digest";
        put_u8(&w, T_STRING);
        put_u32(&w, (sizeof prefix - 1) + bad.n + (sizeof suffix - 1));
        put(&w, prefix, sizeof prefix - 1);
        put(&w, bad.s, bad.n);
        put(&w, suffix, sizeof suffix - 1);
        decisions++;
    }
    if (!r.ok) return fail("malformed resources");
    memcpy(count_at, &decisions, 4);
    return done(&w);
}
