/* dom0's toolstack commands, in the style of Xen's xl. One table (xl_cmdtable.c)
 * describes every command: name, arguments, help, and the function that runs it;
 * the interactive shell and the scenario runner both go through it.
 *
 * A command's run function prints its results (stable, parseable formats: see each
 * xl_*.c) and returns 0, or a negative errno after printing why. */
#ifndef DOM0_XL_H
#define DOM0_XL_H

#include <hvlab/lib.h>

#define XL_MAX_ARGS 12                  /* after the command name */
#define XL_LINE_MAX 256

struct xl_cmd {
    const char *name;
    /* argv[0] is the name, argv[argc] is NULL. */
    int (*run)(int argc, char **argv);
    uint8_t min_args, max_args;         /* not counting the name */
    /* The single argument is the rest of the line, verbatim (echo). */
    bool rest_of_line;
    /* Checks the arguments before anything runs (scenario files are checked whole
     * before their first command): 0, or -EINVAL with the reason in err. Pure: no
     * hypercalls. NULL: only the count is checked. */
    int (*check)(int argc, char *const *argv, char *err, size_t errlen);
    const char *usage;                  /* "create <cfgfile>" */
    const char *help;                   /* one line */
};

extern const struct xl_cmd xl_cmds[];
extern const size_t xl_nr_cmds;

const struct xl_cmd *xl_cmd_find(const char *name);

/* A command line split into words. */
struct xl_args {
    const struct xl_cmd *cmd;           /* NULL: the line was blank or a comment */
    int argc;
    char *argv[XL_MAX_ARGS + 2];
};

/* Splits buf in place into *a and checks it against the table (command known,
 * number of arguments, the command's check). Words are separated by blanks; a line
 * whose first word starts with '#' is a comment, as is everything from a word that
 * starts with '#' (except in echo's text); a leading "xl" word is skipped. Returns
 * 0 or -EINVAL with the reason in err, e.g. "unknown command 'craete'". */
int xl_parse_line(char *buf, struct xl_args *a, char *err, size_t errlen);

/* The command handlers (xl_*.c). */
int xl_create(int argc, char **argv);
int xl_list(int argc, char **argv);
int xl_destroy(int argc, char **argv);
int xl_pause(int argc, char **argv);
int xl_console_input(int argc, char **argv);
/* devmodel (issue 11): xl_dm.c */
int xl_dm_attach(int argc, char **argv);
int xl_dm_detach(int argc, char **argv);
int xl_dm_inject(int argc, char **argv);
int xl_dm_list(int argc, char **argv);
/* xl_store.c */
int xl_store_read(int argc, char **argv);
int xl_store_write(int argc, char **argv);
int xl_store_ls(int argc, char **argv);
int xl_store_rm(int argc, char **argv);
int xl_store_watch(int argc, char **argv);
int xl_unpause(int argc, char **argv);
int xl_shutdown(int argc, char **argv);
int xl_vcpu_list(int argc, char **argv);
int xl_vcpu_pin(int argc, char **argv);
int xl_info(int argc, char **argv);
int xl_numa_list(int argc, char **argv);        /* xl_numa.c: frames per node */
int xl_mem_migrate(int argc, char **argv);      /* xl_migrate_mem.c: memory to nodes */
int xl_dmesg(int argc, char **argv);
int xl_help(int argc, char **argv);
int xl_wait(int argc, char **argv);
int xl_sleep(int argc, char **argv);
int xl_echo(int argc, char **argv);
int xl_trace(int argc, char **argv);
int xl_sched_params(int argc, char **argv);     /* sched-credit, -credit2, -rtds, -numa */
int xl_arinc653(int argc, char **argv);         /* arinc653-set, arinc653-get */
int xl_sched_get(int argc, char **argv);        /* sched-get <dom> [-v <vcpu>] */
int xl_sched_set(int argc, char **argv);        /* sched-set <dom> [-v x] key=value ... */
int xl_cpupool_create(int argc, char **argv);
int xl_cpupool_list(int argc, char **argv);
int xl_cpupool_destroy(int argc, char **argv);
int xl_cpupool_cpu_add(int argc, char **argv);
int xl_cpupool_cpu_remove(int argc, char **argv);
int xl_cpupool_migrate(int argc, char **argv);
int xl_expect(int argc, char **argv);
int xl_hvm_flat(int argc, char **argv);         /* xl_hvmflat.c: SVM boot tests */
/* PV network (xl_net.c) */
int xl_network_attach(int argc, char **argv);
int xl_network_list(int argc, char **argv);
/* iobench: xl_diskbench.c */
int xl_disk_bench(int argc, char **argv);
/* pdisk: xl_pdisk.c */
int xl_pdisk_list(int argc, char **argv);
int xl_pdisk_write(int argc, char **argv);
int xl_pdisk_read(int argc, char **argv);
int xl_pdisk_qd(int argc, char **argv);
int xl_pdisk_flush(int argc, char **argv);
int xl_pci_list(int argc, char **argv);        /* xl_pci.c */
int xl_pci_read(int argc, char **argv);
int xl_pci_write(int argc, char **argv);
int xl_ioport_read(int argc, char **argv);     /* xl_ioport.c */
int xl_ioport_permit(int argc, char **argv);
/* PV block: xl_block.c */
int xl_block_attach(int argc, char **argv);     /* block-attach <dom> <spec...> */
int xl_block_detach(int argc, char **argv);     /* block-detach <dom> <vdev> */
int xl_block_list(int argc, char **argv);       /* block-list <dom> */
/* Ballooning: xl_mem.c */
int xl_mem_set(int argc, char **argv);          /* mem-set <dom> <size> [<ms>] */
int xl_mem_max(int argc, char **argv);          /* mem-max <dom> <size> */

/* `expect`'s text "<ERRNO> <command line>": the errno (positive, e.g. EBUSY) into
 * *errnum and the command, copied into buf and split, into *a; 0, or -EINVAL with
 * the reason in err. Pure (the command table's check uses it). */
int xl_parse_expect(const char *text, char *buf, size_t size, int *errnum,
                    struct xl_args *a, char *err, size_t errlen);

#endif
