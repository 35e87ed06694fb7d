/* Internals of the cfg-file parser shared by its two files: xlcfg_value.c reads
 * values (the lexer), xlcfg.c gives them meaning (the keys). Not for other users. */
#ifndef DOM0_XLCFG_PRIV_H
#define DOM0_XLCFG_PRIV_H

#include "xlcfg.h"

#define XLV_MAX_ATOMS XLCFG_MAX_VCPUS
#define XLV_POOL      1024

enum atom_kind { ATOM_NUMBER, ATOM_STRING, ATOM_WORD };

struct atom {
    enum atom_kind kind;
    const char *text;               /* NUL-terminated, in xlv.pool */
    size_t len;
    unsigned line;                  /* where it starts */
};

/* One value: an atom, or a list of them. */
struct xlv {
    bool is_list;
    unsigned nr;                    /* atoms (1 for a scalar) */
    struct atom atom[XLV_MAX_ATOMS];
    size_t used;
    char pool[XLV_POOL];
};

struct parser;

struct key {
    const char *name;
    unsigned slot;                  /* keys sharing a slot are aliases */
    int (*set)(struct parser *ps, const struct xlv *v);
};

#define NR_SLOTS 20

struct parser {
    struct domain_config *cfg;
    const char *file;
    const char *p, *end;
    unsigned line;                  /* of *p */
    xlcfg_report_fn report;
    void *arg;
    int errors;
    const struct key *key;          /* the setting being read, NULL between settings */
    unsigned key_line;              /* its line */
    unsigned slot_line[NR_SLOTS];   /* where each slot was set (even to a bad value),
                                       0 = not set */
};

/* Reports a problem at line, naming ps->key when set; returns -EINVAL. */
__printf(3, 4) int xlp_error_at(struct parser *ps, unsigned line, const char *fmt, ...);
/* A problem with the current key's value: reported at the key's line. */
#define key_error(ps, ...) xlp_error_at((ps), (ps)->key_line, __VA_ARGS__)

bool xlp_at_end(const struct parser *ps);
char xlp_peek(const struct parser *ps);             /* '\0' at the end */
void xlp_advance(struct parser *ps);                /* one character, counting lines */
void xlp_skip_space(struct parser *ps, bool newlines); /* blanks, comments (newlines) */
void xlp_skip_line(struct parser *ps);              /* up to the newline */
bool xlp_is_key_char(char c, bool first);
/* Reads the value at ps->p into *v: 0, or -EINVAL after reporting. */
int xlp_read_value(struct parser *ps, struct xlv *v);

/* ---- xlcfg_disk.c: the disk key (PV block) ---- */
/* disk = [ 'spec', ... ]: each entry parsed into cfg->disks. */
int xlcfg_set_disk(struct parser *ps, const struct xlv *v);
/* After the whole file: checks of the disks against other keys (an emulated hd*
 * disk on a PV domain). */
void xlcfg_disk_check(struct parser *ps);
/* xlcfg_vif.c: the vif key's setter (PV network). */
int xlcfg_set_vif(struct parser *ps, const struct xlv *v);
/* xlcfg_vnuma.c: the vnuma key's setter, and its checks against memory, maxmem and
 * vcpus after the whole file. */
int xlcfg_set_vnuma(struct parser *ps, const struct xlv *v);
void xlcfg_vnuma_check(struct parser *ps);

#endif
