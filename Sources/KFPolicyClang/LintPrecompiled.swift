// kfpolicy lint's speed on multi-file programs. The files of one program start with the same
// includes (a multi-megabyte vmlinux.h among them), and libclang spends most of a file's time
// on them. The directives the files share at their start are parsed once into a precompiled
// header, and each file is then parsed with `-include-pch`: re-reading those directives finds
// every header already included (its guard defined) and every macro already defined alike.

#if canImport(Glibc)
import Glibc
#endif

/// The leading preprocessor directives of C files.
enum LintLead {
    /// One directive, without comments, with runs of blanks made one space.
    struct Directive: Equatable {
        let text: String
        /// No `#if` is open after it.
        let balanced: Bool
        var isInclude: Bool { text.hasPrefix("#include") || text.hasPrefix("# include") }
    }

    /// The directives before the file's first token that is not one (blank lines and comments
    /// in between are skipped).
    static func directives(_ b: [UInt8]) -> [Directive] {
        var out: [Directive] = []
        var i = 0, depth = 0
        while i < b.count {
            let c = b[i]
            if c == 0x20 || c == 9 || c == 10 || c == 13 || c == 12 { i += 1; continue }
            if c == 0x2F, i + 1 < b.count, b[i + 1] == 0x2F { while i < b.count, b[i] != 10 { i += 1 }; continue }
            if c == 0x2F, i + 1 < b.count, b[i + 1] == 0x2A { i = skipBlockComment(b, i); continue }
            guard c == 0x23 else { break } // the first token that is not a directive
            let (text, next) = directiveText(b, i)
            i = next
            let word = text.dropFirst().drop { $0 == " " }.prefix { $0.isLetter }
            if word == "if" || word == "ifdef" || word == "ifndef" { depth += 1 }
            if word == "endif" { depth -= 1 }
            out.append(Directive(text: text, balanced: depth == 0))
        }
        return out
    }

    static func skipBlockComment(_ b: [UInt8], _ start: Int) -> Int {
        var i = start + 2
        while i + 1 < b.count, !(b[i] == 0x2A && b[i + 1] == 0x2F) { i += 1 }
        return min(b.count, i + 2)
    }

    /// The directive that starts at `start` (a `#`), up to the end of its last continued line.
    static func directiveText(_ b: [UInt8], _ start: Int) -> (String, Int) {
        var out: [UInt8] = []
        var i = start
        var quote: UInt8?
        func blank() { if let l = out.last, l != 0x20 { out.append(0x20) } }
        while i < b.count {
            let c = b[i]
            if c == 10 { break }
            if c == 0x5C, i + 1 < b.count, b[i + 1] == 10 || (b[i + 1] == 13 && i + 2 < b.count && b[i + 2] == 10) {
                blank()
                i += b[i + 1] == 13 ? 3 : 2
                continue
            }
            if let q = quote {
                out.append(c)
                if c == 0x5C, i + 1 < b.count { out.append(b[i + 1]); i += 2; continue }
                if c == q { quote = nil }
                i += 1
                continue
            }
            if c == 0x22 || c == 0x27 { quote = c; out.append(c); i += 1; continue }
            if c == 0x2F, i + 1 < b.count, b[i + 1] == 0x2F { while i < b.count, b[i] != 10 { i += 1 }; break }
            if c == 0x2F, i + 1 < b.count, b[i + 1] == 0x2A { i = skipBlockComment(b, i); blank(); continue }
            if c == 0x20 || c == 9 || c == 13 || c == 12 { blank(); i += 1; continue }
            out.append(c)
            i += 1
        }
        while out.last == 0x20 { out.removeLast() }
        return (String(decoding: out, as: UTF8.self), i)
    }

    /// The directives every lead starts with, up to the last one after which no `#if` is open
    /// and something has been included; empty when there is no such point. A directive that
    /// names the file or line (`__FILE__`, `__LINE__`, `__COUNTER__`) ends the shared part:
    /// it would mean something else in a header of its own.
    static func shared(_ leads: [[Directive]]) -> [String] {
        guard let first = leads.first else { return [] }
        let placeDependent = ["__FILE__", "__LINE__", "__COUNTER__", "__BASE_FILE__", "__INCLUDE_LEVEL__"]
        var n = 0
        while n < first.count, leads.allSatisfy({ n < $0.count && $0[n] == first[n] }),
              !placeDependent.contains(where: first[n].text.contains) {
            n += 1
        }
        guard let firstInclude = first.prefix(n).firstIndex(where: \.isInclude),
              let end = first.prefix(n).lastIndex(where: \.balanced), end >= firstInclude else { return [] }
        return first[...end].map(\.text)
    }
}

/// Shared leading directives parsed once and saved as a precompiled header.
final class LintPrecompiledLead {
    /// The directives as a header (a file in memory, in the directory of the files that share
    /// them, so that `#include "..."` finds what it finds for them).
    let unit: ClangTranslationUnit
    /// The precompiled header, removed when this is released.
    let path: String
    /// The headers it read (absolute path: as the lead spelled it): their declarations come from
    /// the precompiled header.
    let files: [String: String]

    private init(unit: ClangTranslationUnit, path: String, files: [String: String]) {
        self.unit = unit; self.path = path; self.files = files
    }

    deinit { unlink(path) }

    /// Parses `directives` with `arguments` (the files' own) and saves them into `directory`.
    /// nil when they do not parse cleanly, or include a header that has no include guard (the
    /// files would then include it twice).
    static func build(_ directives: [String], nextTo file: String, arguments: [String], number: Int,
                      into directory: String) -> LintPrecompiledLead? {
        let header = parentDirectory(file) + "/.kfpolicy-lead-\(number).h"
        let text = directives.joined(separator: "\n") + "\n"
        let options: ClangParseOptions = [.keepGoing, .detailedPreprocessingRecord, .forSerialization]
        guard let unit = try? ClangTranslationUnit.parse(header, arguments: arguments + ["-x", "c-header"],
                                                         unsaved: [(header, text)], options: options),
              !unit.diagnostics.contains(where: { $0.severity >= .error }) else { return nil }
        let read = unit.inclusions()
        guard !read.contains(where: { $0.depth == 1 && !$0.isGuarded }) else { return nil }
        let path = directory + "/lead-\(number).pch"
        guard unit.save(to: path) else { return nil }
        let files = read.filter { $0.depth > 0 }.map { (absolutePath($0.path), $0.path) }
        return LintPrecompiledLead(unit: unit, path: path, files: Dictionary(files, uniquingKeysWith: { a, _ in a }))
    }
}

/// A directory of its own under $TMPDIR (or /tmp), for precompiled headers.
struct LintScratchDirectory {
    let path: String

    init?() {
        let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array((base + "/kfpolicy-lint-XXXXXX").utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else { return nil }
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Removes the directory (empty by then: each precompiled header removes its file).
    func remove() { rmdir(path) }
}
