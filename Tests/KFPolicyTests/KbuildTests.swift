import Foundation
import KFPolicy
import XCTest

/// A real kernel build: Tests/kbuild/testmod is an out-of-tree module that includes the committed
/// headers Generated/examples/testmod_kfpolicy.h (a module-defined struct_ops) and
/// Generated/scx-6.12_kfpolicy.h (after a struct sched_ext_ops in 6.12's member order). It is built
/// with Kbuild against Debian's 6.12 headers with -Werror, never loaded, and .BTF_ids is read back:
/// from the linked object before resolve_btfids (ids 0, every entry where the header's layout puts
/// it, with the KF_ flags and context words the model says) and from the .ko after it (counts
/// filled in, pairs sorted by id, each flags and context word still beside its kfunc's id, the ids
/// being the ones the module's BTF gives).
///
/// Only 6.12 is built: the header needs struct_ops kfunc filters (`.filter` in
/// btf_kfunc_id_set) and a module needs register_bpf_struct_ops, which 6.1 has neither of.
final class KbuildTests: XCTestCase {
    /// The policies whose headers the module includes, and whether the module defines their names.
    static let built: [(policy: String, definesNames: Bool)] = [
        ("Policies/examples/testmod.policy", true),
        ("Policies/scx-6.12.policy", false), // sched_ext is not a module; Debian builds 6.12 without it
    ]

    func testModuleBuildsWithKbuild612AndBTFIdsMatchThePolicies() throws {
        let kdir = try Self.kernelHeaders(version: "6.12")
        let kernel = try Self.kernelConstants(kdir)
        let policies = try Self.built.map { (try compileShipped($0.policy).policy, $0.definesNames) }
        for (p, _) in policies {
            for k in p.kfuncs {
                for f in k.flags where kernel[f.rawValue] != nil {
                    XCTAssertEqual(kernel[f.rawValue], 1 << UInt32(f.bit), "\(f.rawValue): the model's value differs from the kernel's")
                }
            }
        }

        let dir = makeTempDir("kbuild")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let src = packageRoot + "/Tests/kbuild/testmod"
        for name in try FileManager.default.contentsOfDirectory(atPath: src).sorted() {
            try FileManager.default.copyItem(atPath: src + "/" + name, toPath: dir + "/" + name)
        }
        let start = Date()
        let make = try runProcess("/usr/bin/env", ["make", "-C", kdir, "M=" + dir,
                                                   "KFP_GENERATED=" + packageRoot + "/Generated", "modules"])
        print("KbuildTests: make modules against \(kdir) took \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
        guard make.status == 0 else {
            return XCTFail("Kbuild failed (exit \(make.status)):\n\(make.out)\n\(make.err)")
        }
        let cmd = try String(contentsOfFile: dir + "/.testmod.o.cmd", encoding: .utf8)
        XCTAssertTrue(cmd.contains(" -Werror "), "the module must be built with -Werror")

        // Before resolve_btfids: the layout.
        let obj = try ELFFile(path: dir + "/kfp_testmod.o")
        let objIds = try obj.section(".BTF_ids")
        for (p, _) in policies { Self.checkLayout(p, obj, objIds, kernel) }

        // After resolve_btfids: ids, counts and order.
        let ko = try ELFFile(path: dir + "/kfp_testmod.ko")
        guard ko.sections.contains(where: { $0.name == ".BTF" }) else {
            return XCTFail("the .ko has no BTF (Kbuild said: \(make.err.split(separator: "\n").filter { $0.contains("BTF") }))")
        }
        let base = try BTFNames(data: try ELFFile(path: kdir + "/vmlinux").section(".BTF").data, base: nil)
        let btf = try BTFNames(data: try ko.section(".BTF").data, base: base)
        let koIds = try ko.section(".BTF_ids")
        var unresolved = Set<String>()
        for (p, definesNames) in policies {
            unresolved.formUnion(Self.checkResolved(p, ko, koIds, btf, kernel, definesNames: definesNames))
        }
        // resolve_btfids warns about exactly the names that no BTF has.
        let warned = Set((make.out + make.err).split(separator: "\n").compactMap { line -> String? in
            guard let r = line.range(of: "unresolved symbol ") else { return nil }
            return String(line[r.upperBound...]).trimmingCharacters(in: .whitespaces)
        })
        XCTAssertEqual(warned, unresolved, "resolve_btfids warnings")
    }

    // MARK: - Checks

    static let kfuncSetFlag = "BTF_SET8_KFUNCS"

    /// Every set and list of `p` (CEmitter.btfIds) in the unresolved object.
    static func checkLayout(_ p: Policy, _ elf: ELFFile, _ ids: ELFFile.Section, _ kernel: [String: UInt32],
                            file: StaticString = #filePath, line: UInt = #line) {
        for l in CEmitter.btfIds(p) {
            switch l.kind {
            case .kfuncSet, .set8:
                checkUnresolvedSet(l.name, elf, ids, setFlags: l.kind == .kfuncSet ? kernel[kfuncSetFlag] ?? 1 : 0,
                                   entries: l.entries.map { ($0.name, flags($0.word, kernel)) }, file: file, line: line)
            case .list:
                checkUnresolvedList(l.name, elf, ids, kind: l.entries.first?.kind ?? "func", names: l.entries.map(\.name),
                                    file: file, line: line)
            }
        }
    }

    /// A set8 before resolve_btfids: header {0, set flags}, then one {0, word} pair per entry,
    /// each labelled by its __BTF_ID__func__<name>__<n> symbol, in the header's order.
    static func checkUnresolvedSet(_ name: String, _ elf: ELFFile, _ ids: ELFFile.Section, setFlags: UInt32,
                                   entries: [(String, UInt32)], file: StaticString, line: UInt) {
        guard let set = elf.symbol("__BTF_ID__set8__" + name, in: ids) else {
            return XCTFail("no set8 \(name) in .BTF_ids", file: file, line: line)
        }
        let v = Int(set.value)
        XCTAssertEqual(ids.word(v), 0, "\(name): count before resolve_btfids", file: file, line: line)
        XCTAssertEqual(ids.word(v + 4), setFlags, "\(name): set flags", file: file, line: line)
        XCTAssertEqual(Int(set.size), 8 + 8 * entries.count, "\(name): size", file: file, line: line)
        let labels = elf.symbols(in: ids, from: v + 8, to: v + 8 + 8 * entries.count)
            .compactMap { s in btfIdName(s.name, kind: "func").map { (Int(s.value), $0) } }
        XCTAssertEqual(labels.map(\.0), entries.indices.map { v + 8 + 8 * $0 }, "\(name): entry offsets", file: file, line: line)
        XCTAssertEqual(labels.map(\.1), entries.map(\.0), "\(name): entry names", file: file, line: line)
        for (i, (kfunc, word)) in entries.enumerated() {
            XCTAssertEqual(ids.word(v + 8 + 8 * i), 0, "\(name): id of \(kfunc) before resolve_btfids", file: file, line: line)
            XCTAssertEqual(ids.word(v + 12 + 8 * i), word, "\(name): word of \(kfunc)", file: file, line: line)
        }
    }

    /// A BTF_ID_LIST before resolve_btfids: one zero word per name, each labelled.
    static func checkUnresolvedList(_ name: String, _ elf: ELFFile, _ ids: ELFFile.Section, kind: String, names: [String],
                                    file: StaticString, line: UInt) {
        guard let list = elf.symbol(name, in: ids) else { return XCTFail("no list \(name) in .BTF_ids", file: file, line: line) }
        let v = Int(list.value)
        let labels = elf.symbols(in: ids, from: v, to: v + 4 * names.count)
            .compactMap { s in btfIdName(s.name, kind: kind).map { (Int(s.value), $0) } }
        XCTAssertEqual(labels.map(\.0), names.indices.map { v + 4 * $0 }, "\(name): entry offsets", file: file, line: line)
        XCTAssertEqual(labels.map(\.1), names, "\(name): entry names", file: file, line: line)
        for i in names.indices { XCTAssertEqual(ids.word(v + 4 * i), 0, "\(name)[\(i)]", file: file, line: line) }
    }

    /// After resolve_btfids: every set's count is filled in, its pairs are sorted by id, and the
    /// pairs are exactly {BTF id of the kfunc, its word}. Returns the names no BTF has (their ids
    /// stay 0), which must be none when the module defines the names.
    static func checkResolved(_ p: Policy, _ elf: ELFFile, _ ids: ELFFile.Section, _ btf: BTFNames,
                              _ kernel: [String: UInt32], definesNames: Bool,
                              file: StaticString = #filePath, line: UInt = #line) -> Set<String> {
        var unresolved = Set<String>()
        func id(_ name: String, struct isStruct: Bool = false) -> UInt32 {
            let id = (isStruct ? btf.structs[name] : btf.funcs[name]) ?? 0
            if id == 0 { unresolved.insert(name) }
            if definesNames {
                XCTAssertNotEqual(id, 0, "\(name) is defined by the module but has no BTF id", file: file, line: line)
                if id != 0 { XCTAssertGreaterThan(id, btf.baseCount, "\(name) must resolve to the module's BTF", file: file, line: line) }
            }
            return id
        }
        for l in CEmitter.btfIds(p) {
            if l.kind == .list {
                guard let list = elf.symbol(l.name, in: ids) else { XCTFail("no \(l.name) in the .ko", file: file, line: line); continue }
                for (i, e) in l.entries.enumerated() {
                    XCTAssertEqual(ids.word(Int(list.value) + 4 * i), id(e.name, struct: e.kind == "struct"), "\(l.name)[\(i)]", file: file, line: line)
                }
                continue
            }
            let want = l.entries.map { (id($0.name), flags($0.word, kernel)) }
            guard let set = elf.symbol("__BTF_ID__set8__" + l.name, in: ids) else {
                XCTFail("no set8 \(l.name) in the .ko", file: file, line: line); continue
            }
            let v = Int(set.value)
            XCTAssertEqual(Int(ids.word(v)), want.count, "\(l.name): count after resolve_btfids", file: file, line: line)
            let pairs = (0..<want.count).map { (ids.word(v + 8 + 8 * $0), ids.word(v + 12 + 8 * $0)) }
            XCTAssertEqual(pairs.map(\.0), pairs.map(\.0).sorted(), "\(l.name): pairs sorted by id", file: file, line: line)
            func key(_ e: (UInt32, UInt32)) -> String { "\(e.0):\(String(e.1, radix: 16))" }
            XCTAssertEqual(pairs.map(key).sorted(), want.map(key).sorted(), "\(l.name): {id, word} pairs", file: file, line: line)
            if definesNames { XCTAssertEqual(Set(want.map(\.0)).count, want.count, "\(l.name): distinct ids", file: file, line: line) }
        }
        return unresolved
    }

    /// A KF_ flags word, with the values of the kernel built against.
    static func flags(_ fs: [KFFlag], _ kernel: [String: UInt32]) -> UInt32 {
        fs.reduce(0) { acc, f in
            guard let v = kernel[f.rawValue] else {
                XCTFail("\(f.rawValue) is not defined by these kernel headers"); return acc
            }
            return acc | v
        }
    }

    /// "name" from "__BTF_ID__<kind>__name__<counter><line>".
    static func btfIdName(_ symbol: String, kind: String) -> String? {
        let prefix = "__BTF_ID__\(kind)__"
        guard symbol.hasPrefix(prefix), let r = symbol.range(of: "__", options: .backwards),
              r.lowerBound > symbol.index(symbol.startIndex, offsetBy: prefix.count),
              !symbol[r.upperBound...].isEmpty, symbol[r.upperBound...].allSatisfy(\.isNumber) else { return nil }
        return String(symbol[symbol.index(symbol.startIndex, offsetBy: prefix.count)..<r.lowerBound])
    }

    // MARK: - Kernel headers

    struct Missing: Error, CustomStringConvertible { let description: String }

    /// The newest /usr/src/linux-headers-<version>.*-amd64 (scripts/setup.sh installs it).
    static func kernelHeaders(version: String) throws -> String {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/src")) ?? []
        let dirs = names.filter { $0.hasPrefix("linux-headers-\(version).") && $0.hasSuffix("-amd64") }
            .sorted { $0.compare($1, options: .numeric) == .orderedAscending }
        guard let d = dirs.last else {
            throw Missing(description: "no /usr/src/linux-headers-\(version).*-amd64: install linux-headers-\(version)-amd64 (scripts/setup.sh does)")
        }
        return "/usr/src/" + d
    }

    /// KF_* and BTF_SET8_KFUNCS as `(1 << n)` in the kernel's headers (Debian keeps include/ in
    /// the -common folder that the -amd64 Makefile includes).
    static func kernelConstants(_ kdir: String) throws -> [String: UInt32] {
        var roots = [kdir]
        if let mk = try? String(contentsOfFile: kdir + "/Makefile", encoding: .utf8) {
            for l in mk.split(separator: "\n") where l.hasPrefix("include ") && l.hasSuffix("/Makefile") {
                roots.append(String(l.dropFirst("include ".count).dropLast("/Makefile".count)))
            }
        }
        var out: [String: UInt32] = [:]
        let re = try NSRegularExpression(pattern: #"^#define\s+((?:KF_|BTF_SET8_)[A-Z0-9_]+)\s+\(\s*1\s*<<\s*(\d+)\s*\)"#,
                                         options: .anchorsMatchLines)
        for root in roots {
            for h in ["/include/linux/btf.h", "/include/linux/btf_ids.h"] {
                guard let text = try? String(contentsOfFile: root + h, encoding: .utf8) else { continue }
                let ns = text as NSString
                for m in re.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
                    out[ns.substring(with: m.range(at: 1))] = 1 << UInt32(ns.substring(with: m.range(at: 2)))!
                }
            }
        }
        guard out["KF_ACQUIRE"] != nil, out[kfuncSetFlag] != nil else {
            throw Missing(description: "KF_ flags not found in the headers of \(kdir)")
        }
        return out
    }
}

/// Just enough of a little-endian ELF64 file: sections and the symbol table.
struct ELFFile {
    struct Section { let index: Int; let name: String; let data: [UInt8]
        func word(_ off: Int) -> UInt32 {
            guard off >= 0, off + 4 <= data.count else { return 0xdead_beef }
            return UInt32(data[off]) | UInt32(data[off + 1]) << 8 | UInt32(data[off + 2]) << 16 | UInt32(data[off + 3]) << 24
        }
    }
    struct Symbol { let name: String; let value: UInt64; let size: UInt64; let section: Int }
    struct Malformed: Error, CustomStringConvertible { let description: String }

    let sections: [Section]
    let symbols: [Symbol]

    init(path: String) throws {
        let b = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        func u(_ o: Int, _ n: Int) throws -> UInt64 {
            guard o >= 0, o + n <= b.count else { throw Malformed(description: "\(path): truncated at \(o)") }
            return (0..<n).reduce(UInt64(0)) { $0 | UInt64(b[o + $1]) << (8 * UInt64($1)) }
        }
        guard b.count > 64, b[0..<4].elementsEqual([0x7f, 0x45, 0x4c, 0x46]), b[4] == 2, b[5] == 1 else {
            throw Malformed(description: "\(path) is not a little-endian ELF64 file")
        }
        let shoff = Int(try u(0x28, 8)), shentsize = Int(try u(0x3a, 2)), shnum = Int(try u(0x3c, 2)), shstrndx = Int(try u(0x3e, 2))
        struct Raw { let name: Int, type: UInt64, offset: Int, size: Int, link: Int }
        let raw = try (0..<shnum).map { i -> Raw in
            let h = shoff + i * shentsize
            return Raw(name: Int(try u(h, 4)), type: try u(h + 4, 4), offset: Int(try u(h + 24, 8)),
                       size: Int(try u(h + 32, 8)), link: Int(try u(h + 40, 4)))
        }
        func bytes(_ r: Raw) throws -> [UInt8] {
            if r.type == 8 { return [] } // SHT_NOBITS
            guard r.offset + r.size <= b.count else { throw Malformed(description: "\(path): section out of range") }
            return Array(b[r.offset..<(r.offset + r.size)])
        }
        func string(_ table: [UInt8], _ off: Int) -> String {
            guard off < table.count else { return "" }
            let end = table[off...].firstIndex(of: 0) ?? table.count
            return String(decoding: table[off..<end], as: UTF8.self)
        }
        let shstr = try bytes(raw[shstrndx])
        sections = try raw.enumerated().map { Section(index: $0, name: string(shstr, $1.name), data: try bytes($1)) }
        var syms: [Symbol] = []
        if let st = raw.firstIndex(where: { $0.type == 2 }) { // SHT_SYMTAB
            let strtab = sections[raw[st].link].data
            for o in stride(from: raw[st].offset, to: raw[st].offset + raw[st].size, by: 24) {
                syms.append(Symbol(name: string(strtab, Int(try u(o, 4))), value: try u(o + 8, 8),
                                   size: try u(o + 16, 8), section: Int(try u(o + 6, 2))))
            }
        }
        symbols = syms
    }

    func section(_ name: String) throws -> Section {
        guard let s = sections.first(where: { $0.name == name }) else { throw Malformed(description: "no section \(name)") }
        return s
    }

    func symbol(_ name: String, in s: Section) -> Symbol? {
        symbols.first { $0.name == name && $0.section == s.index }
    }

    /// Symbols of section `s` with values in [from, to), by value.
    func symbols(in s: Section, from: Int, to: Int) -> [Symbol] {
        symbols.filter { $0.section == s.index && $0.value >= UInt64(from) && $0.value < UInt64(to) }
            .sorted { $0.value < $1.value }
    }
}

/// The BTF ids of named functions and structs (first occurrence, as resolve_btfids takes them),
/// from a .BTF section; a module's BTF is split BTF on top of vmlinux's (`base`).
struct BTFNames {
    var funcs: [String: UInt32] = [:]
    var structs: [String: UInt32] = [:]
    let baseCount: UInt32   // ids up to this are the base's
    let count: UInt32       // ids up to this are this BTF's or its base's
    let strings: [UInt8]    // base strings followed by this BTF's
    struct Malformed: Error, CustomStringConvertible { let description: String }

    init(data b: [UInt8], base: BTFNames?) throws {
        func u32(_ o: Int) throws -> Int {
            guard o >= 0, o + 4 <= b.count else { throw Malformed(description: "BTF truncated at \(o)") }
            return Int(b[o]) | Int(b[o + 1]) << 8 | Int(b[o + 2]) << 16 | Int(b[o + 3]) << 24
        }
        guard b.count >= 24, b[0] == 0x9f, b[1] == 0xeb else { throw Malformed(description: "not little-endian BTF") }
        let hdr = try u32(4), typeOff = try u32(8), typeLen = try u32(12), strOff = try u32(16), strLen = try u32(20)
        guard hdr + strOff + strLen <= b.count else { throw Malformed(description: "BTF strings out of range") }
        strings = (base?.strings ?? []) + b[(hdr + strOff)..<(hdr + strOff + strLen)]
        funcs = base?.funcs ?? [:]
        structs = base?.structs ?? [:]
        baseCount = base?.count ?? 0
        var id = baseCount
        var o = hdr + typeOff
        while o < hdr + typeOff + typeLen {
            let nameOff = try u32(o), info = try u32(o + 4)
            let kind = (info >> 24) & 0x1f, vlen = info & 0xffff
            id += 1
            if kind == 12 || kind == 4 { // FUNC, STRUCT
                guard nameOff < strings.count else { throw Malformed(description: "BTF name of type \(id) out of range") }
                let end = strings[nameOff...].firstIndex(of: 0) ?? strings.count
                let name = String(decoding: strings[nameOff..<end], as: UTF8.self)
                if kind == 12, funcs[name] == nil { funcs[name] = id }
                if kind == 4, structs[name] == nil { structs[name] = id }
            }
            let extra: Int
            switch kind {
            case 1, 14, 17: extra = 4               // INT, VAR, DECL_TAG
            case 3: extra = 12                      // ARRAY
            case 4, 5, 15, 19: extra = 12 * vlen    // STRUCT, UNION, DATASEC, ENUM64
            case 6, 13: extra = 8 * vlen            // ENUM, FUNC_PROTO
            case 2, 7, 8, 9, 10, 11, 12, 16, 18: extra = 0
            default: throw Malformed(description: "BTF kind \(kind) unknown (type \(id))")
            }
            o += 12 + extra
        }
        count = id
    }
}
