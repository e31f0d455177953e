/* builtin.c - the built-in data: an English-like language from a probabilistic grammar.
 *
 * Why this: the demo and the studies must run anywhere, with no file and no download, and the
 * data must be rich enough that a small transformer keeps learning for hundreds of steps and that
 * a too-high LR without warmup visibly hurts (FINDINGS.md measured exactly that on such a
 * grammar: 2.46 nats without warmup against 1.29 with it, at 400 steps). Random bytes are
 * unlearnable and a repeated sentence is learnt in a few steps; a grammar sits in between:
 *   - word frequencies follow Zipf's law, so the unigram statistics come first;
 *   - spelling is fixed, so the model learns words (a byte-level "tokenizer");
 *   - subjects and verbs agree in number ("the dog sees", "the dogs see") across adjectives and
 *     prepositional phrases, a dependency that needs attention over several words;
 *   - sentences nest clauses ("when ..., ...", "... and ..."), capitalise, and end in '.'.
 * The same seed gives the same text, byte for byte. */
#include <string.h>

#include "data.h"

static const char *const DET_SG[] = {"the", "a", "this", "that", "every", "one"};
static const char *const DET_PL[] = {"the", "some", "these", "those", "many", "two"};
static const char *const ADJ[] = {"small", "big", "old", "young", "red", "green", "quiet",
                                  "bright", "dark", "happy", "tired", "clever", "strange",
                                  "warm", "cold", "tall", "short", "busy", "gentle", "brave"};
static const char *const N_SG[] = {"dog", "cat", "bird", "child", "teacher", "farmer", "river",
                                   "house", "tree", "garden", "city", "road", "friend", "king",
                                   "student", "horse", "boat", "window", "mountain", "painter"};
static const char *const N_PL[] = {"dogs", "cats", "birds", "children", "teachers", "farmers",
                                   "rivers", "houses", "trees", "gardens", "cities", "roads",
                                   "friends", "kings", "students", "horses", "boats", "windows",
                                   "mountains", "painters"};
static const char *const NAMES[] = {"Anna", "Tom", "Maria", "Leo", "Sara", "Omar", "Ivy", "Ben"};
static const char *const VT_SG[] = {"sees", "likes", "finds", "follows", "helps", "watches",
                                    "paints", "calls", "remembers", "visits", "builds", "carries"};
static const char *const VT_PL[] = {"see", "like", "find", "follow", "help", "watch", "paint",
                                    "call", "remember", "visit", "build", "carry"};
static const char *const VI_SG[] = {"sleeps", "runs", "sings", "waits", "laughs", "works",
                                    "falls", "grows"};
static const char *const VI_PL[] = {"sleep", "run", "sing", "wait", "laugh", "work", "fall",
                                    "grow"};
static const char *const ADV[] = {"slowly", "quickly", "often", "never", "quietly", "again",
                                  "today", "happily"};
static const char *const PREP[] = {"near", "behind", "with", "under", "above", "beside", "from",
                                   "across"};
static const char *const CONJ[] = {"and", "but", "because", "so"};

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

typedef struct out {
    char *buf;
    size_t n, len;
    int cap_next; /* capitalise the next letter */
} out;

static void put(out *o, const char *s)
{
    for (; *s && o->len < o->n; s++) {
        char ch = *s;
        if (o->cap_next && ch >= 'a' && ch <= 'z') ch = (char)(ch - 'a' + 'A');
        if (ch != ' ' && ch != '\n') o->cap_next = 0;
        o->buf[o->len++] = ch;
    }
}

static void word(out *o, const char *w)
{
    if (o->len > 0 && o->buf[o->len - 1] != '\n') put(o, " ");
    put(o, w);
}

/* Zipf-like choice: index i with weight 1 / (i + 1.5). */
static int zipf(wu_rng *r, int n)
{
    double total = 0, x;
    for (int i = 0; i < n; i++) total += 1.0 / (i + 1.5);
    x = wu_rng_uniform(r) * total;
    for (int i = 0; i < n; i++) {
        x -= 1.0 / (i + 1.5);
        if (x < 0) return i;
    }
    return n - 1;
}

#define PICK(r, a) (a)[zipf((r), COUNT(a))]

/* A noun phrase; returns 1 when plural. */
static int noun_phrase(out *o, wu_rng *r, int depth)
{
    double u = wu_rng_uniform(r);
    if (u < 0.15) {
        word(o, NAMES[zipf(r, COUNT(NAMES))]);
        return 0;
    }
    int pl = wu_rng_uniform(r) < 0.4;
    int k = zipf(r, COUNT(N_SG));
    const char *det = pl ? PICK(r, DET_PL) : PICK(r, DET_SG), *words[8];
    int n = 0;
    while (n < 3 && wu_rng_uniform(r) < 0.35) words[n++] = PICK(r, ADJ);
    words[n++] = pl ? N_PL[k] : N_SG[k];
    /* "a" becomes "an" before a vowel, as in English */
    if (!strcmp(det, "a") && strchr("aeiou", words[0][0])) det = "an";
    word(o, det);
    for (int i = 0; i < n; i++) word(o, words[i]);
    if (depth < 2 && wu_rng_uniform(r) < 0.25) { /* a prepositional phrase between subject and verb */
        word(o, PICK(r, PREP));
        noun_phrase(o, r, depth + 1);
    }
    return pl;
}

static void clause(out *o, wu_rng *r)
{
    int pl = noun_phrase(o, r, 0);
    int k;
    if (wu_rng_uniform(r) < 0.65) {
        k = zipf(r, COUNT(VT_SG));
        word(o, pl ? VT_PL[k] : VT_SG[k]);
        noun_phrase(o, r, 1);
    } else {
        k = zipf(r, COUNT(VI_SG));
        word(o, pl ? VI_PL[k] : VI_SG[k]);
    }
    if (wu_rng_uniform(r) < 0.3) word(o, PICK(r, ADV));
}

void wu_builtin_text(char *buf, size_t n, uint64_t seed)
{
    wu_rng r;
    wu_rng_seed(&r, seed ^ 0x6275696c74696e00ull); /* "builtin" */
    out o = {buf, n, 0, 1};
    int in_par = 0;
    while (o.len < n) {
        double u = wu_rng_uniform(&r);
        if (u < 0.15) {
            word(&o, "when");
            clause(&o, &r);
            put(&o, ",");
            clause(&o, &r);
        } else {
            clause(&o, &r);
            if (u < 0.45) {
                word(&o, PICK(&r, CONJ));
                clause(&o, &r);
            }
        }
        put(&o, ".");
        o.cap_next = 1;
        if (++in_par >= 3 + (int)(wu_rng_uniform(&r) * 4)) {
            put(&o, "\n");
            in_par = 0;
        }
    }
}
