// A stand-in for the kernel declarations a generated header needs, so `kfpolicy gen` can parse
// what it wrote without a kernel tree. These are our own declarations: only the names, the
// KF_ flag values and the layout rules of .BTF_ids come from the kernel (see
// docs/kernel-facts.md); no kernel text is copied. Each file is served to libclang from memory
// under `KernelStandIn.includeDir`.

import KFPolicy

enum KernelStandIn {
    /// A directory that exists only inside libclang's view (unsaved files).
    static let root = "/__kfpolicy_validate__"
    static let includeDir = root + "/include"

    /// (path relative to `includeDir`, contents).
    static var files: [(String, String)] {
        [
            ("linux/types.h", types),
            ("linux/stddef.h", stddef),
            ("linux/errno.h", errno),
            ("linux/bug.h", "/* kfpolicy stand-in: nothing the generated header needs. */\n"),
            ("linux/bpf.h", bpf),
            ("linux/btf.h", btf),
            ("linux/btf_ids.h", btfIDs),
        ]
    }

    /// Compiler flags for a translation unit that uses the stand-in.
    static var arguments: [String] {
        ["-x", "c", "-std=gnu11", "-nostdinc", "-ffreestanding", "-I", includeDir, "--target=x86_64-linux-gnu"]
    }

    static let types = """
        /* kfpolicy stand-in for <linux/types.h>: the fixed-width types generated code uses. */
        #ifndef _KFPOLICY_STANDIN_TYPES_H
        #define _KFPOLICY_STANDIN_TYPES_H
        typedef unsigned char u8;
        typedef unsigned short u16;
        typedef unsigned int u32;
        typedef unsigned long long u64;
        typedef signed char s8;
        typedef short s16;
        typedef int s32;
        typedef long long s64;
        typedef _Bool bool;
        #define true 1
        #define false 0
        typedef __SIZE_TYPE__ size_t;
        #endif

        """

    static let stddef = """
        /* kfpolicy stand-in for <linux/stddef.h>. */
        #ifndef _KFPOLICY_STANDIN_STDDEF_H
        #define _KFPOLICY_STANDIN_STDDEF_H
        #include <linux/types.h>
        #define NULL ((void *)0)
        #define offsetof(type, member) __builtin_offsetof(type, member)
        #define BIT(n) (1UL << (n))
        /* Policies are decided with every Kconfig option on; so is validation. */
        #define IS_ENABLED(option) 1
        #define BITS_PER_BYTE 8
        #define U16_MAX ((u16)~0U)
        #define U32_MAX ((u32)~0U)
        #define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
        #define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
        #define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))
        #define BITS_TO_LONGS(n) (((n) + 63) / 64)
        #define DECLARE_BITMAP(name, bits) unsigned long name[BITS_TO_LONGS(bits)]
        bool test_bit(unsigned long nr, const unsigned long *addr);
        unsigned long find_next_bit(const unsigned long *addr, unsigned long size, unsigned long offset);
        #define for_each_set_bit(bit, addr, size) \\
        \tfor ((bit) = find_next_bit((addr), (size), 0); (bit) < (size); (bit) = find_next_bit((addr), (size), (bit) + 1))
        int fls(unsigned int x);
        int scnprintf(char *buf, size_t size, const char *fmt, ...);
        #endif

        """

    static let errno = """
        /* kfpolicy stand-in for <linux/errno.h>. */
        #ifndef _KFPOLICY_STANDIN_ERRNO_H
        #define _KFPOLICY_STANDIN_ERRNO_H
        #define EACCES 13
        #define EINVAL 22
        #define ELOOP 40
        #endif

        """

    static var bpf: String {
        var s = """
            /* kfpolicy stand-in for <linux/bpf.h>: program types and the program fields a filter reads. */
            #ifndef _KFPOLICY_STANDIN_BPF_H
            #define _KFPOLICY_STANDIN_BPF_H
            #include <linux/types.h>
            #include <linux/stddef.h>
            #include <linux/errno.h>

            enum bpf_prog_type {
            \tBPF_PROG_TYPE_UNSPEC,

            """
        for t in ProgTypeNames.all { s += "\t\(t),\n" }
        s += """
            };

            struct module;
            #define THIS_MODULE ((struct module *)0)
            struct btf;
            struct bpf_struct_ops;

            struct bpf_prog_aux {
            \tu32 attach_btf_id;
            \tstruct btf *attach_btf;
            \tu32 attach_st_ops_member_off;
            \tconst struct bpf_struct_ops *st_ops;
            };

            struct bpf_prog {
            \tu16 sleepable:1;
            \tenum bpf_prog_type type;
            \tu32 expected_attach_type;
            \tstruct bpf_prog_aux *aux;
            };

            #define __bpf_kfunc __attribute__((__used__)) __attribute__((__noinline__))
            #endif

            """
        return s
    }

    static var btf: String {
        var s = """
            /* kfpolicy stand-in for <linux/btf.h>: KF_ flags, BTF types and kfunc set registration. */
            #ifndef _KFPOLICY_STANDIN_BTF_H
            #define _KFPOLICY_STANDIN_BTF_H
            #include <linux/bpf.h>
            #include <linux/btf_ids.h>


            """
        for f in KFFlag.allCases { s += "#define \(f.rawValue) (1 << \(f.bit))\n" }
        s += """

            typedef int (*btf_kfunc_filter_t)(const struct bpf_prog *prog, u32 kfunc_id);

            struct btf_kfunc_id_set {
            \tstruct module *owner;
            \tstruct btf_id_set8 *set;
            \tbtf_kfunc_filter_t filter;
            };

            struct btf_type { u32 name_off; u32 info; u32 size; };
            struct btf_member { u32 name_off; u32 type; u32 offset; };

            int register_btf_kfunc_id_set(enum bpf_prog_type prog_type, const struct btf_kfunc_id_set *s);
            const struct btf_type *btf_type_by_id(const struct btf *btf, u32 type_id);
            bool btf_type_is_struct(const struct btf_type *t);
            u16 btf_type_vlen(const struct btf_type *t);
            const struct btf_member *btf_type_member(const struct btf_type *t);
            u32 __btf_member_bit_offset(const struct btf_type *t, const struct btf_member *m);
            void *btf_id_set8_contains(const struct btf_id_set8 *set, u32 id);
            #endif

            """
        return s
    }

    /// BTF id macros that expand to assembler text with the kernel's layout: a set8 is a label,
    /// a 4-byte count and a 4-byte flags word, then one {id, flags} pair per entry, each id
    /// labelled __BTF_ID__<kind>__<name>__<n>. kfpolicy reads the invocations, not the bytes,
    /// but the expansions must compile.
    static let btfIDs = """
        /* kfpolicy stand-in for <linux/btf_ids.h>. */
        #ifndef _KFPOLICY_STANDIN_BTF_IDS_H
        #define _KFPOLICY_STANDIN_BTF_IDS_H
        #include <linux/types.h>

        struct btf_id_set8 {
        \tu32 cnt;
        \tu32 flags;
        \tstruct {
        \t\tu32 id;
        \t\tu32 flags;
        \t} pairs[];
        };

        #define BTF_SET8_KFUNCS (1 << 0)

        #define __KFP_STR1(...) #__VA_ARGS__
        #define __KFP_STR(...) __KFP_STR1(__VA_ARGS__)
        #define __KFP_CAT1(a, b) a##b
        #define __KFP_CAT(a, b) __KFP_CAT1(a, b)
        #define __KFP_LABEL(kind, name) __KFP_CAT(__KFP_CAT(__BTF_ID__##kind##__##name##__, __COUNTER__), __LINE__)

        #define __KFP_ID_WORDS(label, words) \\
        \tasm(".pushsection .BTF_ids,\\"a\\"\\n" __KFP_STR(label) ":\\n.zero 4\\n" words ".popsection\\n");
        #define __KFP_ID_FLAGS(kind, name, flags, ...) \\
        \t__KFP_ID_WORDS(__KFP_LABEL(kind, name), ".long " __KFP_STR(flags) "\\n")
        #define BTF_ID_FLAGS(kind, name, ...) __KFP_ID_FLAGS(kind, name, ##__VA_ARGS__, 0)
        #define BTF_ID(kind, name) __KFP_ID_WORDS(__KFP_LABEL(kind, name), "")

        #define __KFP_SET8_START(name, setflags) \\
        \tasm(".pushsection .BTF_ids,\\"a\\"\\n" #name ":\\n.zero 4\\n.long " __KFP_STR(setflags) "\\n.popsection\\n");
        #define BTF_SET8_START(name) __KFP_SET8_START(name, 0)
        #define BTF_KFUNCS_START(name) __KFP_SET8_START(name, BTF_SET8_KFUNCS)
        #define BTF_SET8_END(name) extern struct btf_id_set8 name;
        #define BTF_KFUNCS_END(name) BTF_SET8_END(name)

        #define BTF_ID_LIST(name) \\
        \tasm(".pushsection .BTF_ids,\\"a\\"\\n" #name ":\\n.popsection\\n"); \\
        \textern u32 name[];
        #define BTF_ID_LIST_SINGLE(name, kind, typename) BTF_ID_LIST(name) BTF_ID(kind, typename)
        #endif

        """
}

/// The kernel's names for program types, in our ProgType order.
enum ProgTypeNames {
    static var all: [String] { ProgType.allCases.map(\.cName) }
}
