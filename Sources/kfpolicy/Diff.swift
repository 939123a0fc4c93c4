// kfpolicy diff

import ArgumentParser
import KFPolicy
import KFPolicyDriver
import KFPolicyRender
#if canImport(Glibc)
import Glibc
#endif

/// Which changes make `diff` exit non-zero.
enum FailOn: String, ExpressibleByArgument, CaseIterable {
    case widening, narrowing, any, none

    /// The impacts that make `diff` exit non-zero.
    var failingImpacts: Set<Impact> {
        switch self {
        case .widening: return [.widening]
        case .narrowing: return [.narrowing]
        case .any: return [.widening, .narrowing]
        case .none: return []
        }
    }
}

/// Exit statuses of `diff` beyond the common ones (0-3).
enum DiffExit {
    static let widenings: Int32 = 4
    static let narrowings: Int32 = 5
    static let both: Int32 = 6
}

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what a policy change means: widenings, narrowings and other changes.",
        discussion: """
            Compares the checked policies, not their text: reordering, reformatting and comments \
            are no change. OLD and NEW are each a policy file or REV:PATH, read with \
            'git show REV:PATH' (PATH from the repository top, or from the current directory if \
            it starts with ./); includes are read from the same revision.

            Widenings let BPF programs do more: a (callback or program type, kfunc) pair becomes \
            allowed, a callback gains a context or becomes sleepable, a kfunc, callback or program \
            type is new, a restricting KF_ flag or a requirement is dropped, a nesting edge is new. \
            Narrowings are the reverse and can refuse programs that load today. Other changes: \
            docs, sets, implementations, allow masks, renames (same decisions, new name).

            Exit status: 0 no widening and no narrowing (no change, or other changes only); \
            1 a side has errors (its diagnostics are printed); 2 usage or I/O error; 3 internal \
            error; 4 widenings; 5 narrowings; 6 both. --fail-on chooses which of 4, 5 and 6 are \
            returned (the others become 0): widening gives 4 when there are widenings, narrowing \
            gives 5 when there are narrowings, any (the default) gives 4, 5 or 6, none always 0. \
            In --git-driver mode the status is always 0 unless the arguments are wrong, so git \
            carries on with the next file. --git REV that finds no policy file on either side \
            is a usage error (2), so a CI gate pointed at the wrong --dir cannot pass silently; \
            --allow-empty makes it a note and status 0.

            --format sarif (SARIF 2.1.0) and --format github (workflow annotations) give one \
            result per change, at its first declaration on the new side (the old side for a \
            removal), the other declarations as related locations or message lines. A widening \
            or narrowing that --fail-on makes fail is an error, one it does not is a warning; \
            other changes (renames, docs, sets, ...) are notes (notice).

            As a git diff driver: put '*.policy diff=kfpolicy' in .gitattributes and run \
            'git config diff.kfpolicy.command "kfpolicy diff --git-driver"'.
            """)

    @Argument(help: ArgumentHelp("OLD and NEW: a policy file or REV:PATH each.", valueName: "side"))
    var sides: [String] = []

    @Option(help: ArgumentHelp("Compare the working tree's policies (see --dir) with those at revision REV.",
                               valueName: "REV"))
    var git: String?

    @Option(help: "The directory --git compares, relative to the repository top.")
    var dir = "Policies"

    @Flag(help: ArgumentHelp("Act as a git diff driver: take git's 7 arguments "
                             + "(path old-file old-hex old-mode new-file new-hex new-mode)."))
    var gitDriver = false

    @Option(help: ArgumentHelp("Report format: text (terminal), markdown (pull-request comment), json (bots), "
                               + "sarif (SARIF 2.1.0) or github (workflow annotations)."))
    var format: DiffReportFormat = .text

    @Flag(help: "With --git: no policy file on either side is no change (status 0), not an error.")
    var allowEmpty = false

    @Option(help: "Which changes give a non-zero exit status: widening, narrowing, any or none.")
    var failOn: FailOn = .any

    @Option(name: .shortAndLong, help: "Write the report to this file instead of standard output.")
    var output: String?

    @OptionGroup var diagnostics: OutputOptions

    func validate() throws {
        if gitDriver {
            guard git == nil, sides.count == 7 else {
                throw ValidationError("--git-driver takes exactly the 7 arguments git passes "
                                      + "(path old-file old-hex old-mode new-file new-hex new-mode) and no --git")
            }
        } else if git != nil {
            guard sides.isEmpty else {
                throw ValidationError("--git REV compares the working tree with REV: give no OLD and NEW")
            }
        } else {
            guard sides.count == 2 else { throw ValidationError("give OLD and NEW (files or REV:PATH), or --git REV") }
        }
    }

    func run() throws {
        let pairs: [(old: Compilation, new: Compilation)]
        let notes: [String]
        do {
            guard let loaded = try loadPairs() else { return }
            (pairs, notes) = loaded
        } catch {
            eprint("kfpolicy: error: cannot read \(error)\n")
            throw ExitWith(status: .usageOrIO)
        }
        if let git, pairs.isEmpty, !allowEmpty {
            eprint("kfpolicy: error: no *.policy file in \(normalizedRelative(dir)) at \(git) or in the working tree; "
                   + "point --dir at the policies, or pass --allow-empty if none is expected\n")
            throw ExitWith(status: .usageOrIO)
        }

        // A side with errors cannot be compared: show its diagnostics and stop.
        var failed = false
        for (o, n) in pairs {
            for (what, c) in [("old", o), ("new", n)] where c.diagnostics.hasErrors {
                failed = true
                let side = c.sources.files.first?.path ?? what
                eprint("kfpolicy: error: the \(what) side (\(side)) has errors; no semantic diff\n")
                report(c.diagnostics.sorted.filter { $0.severity == .error }, sources: c.sources, diagnostics)
            }
        }
        if failed { throw ExitWith(status: .policyError) }

        let diffs = pairs.map { SemanticDiff.compare(old: $0.old, new: $0.new) }
        var text: String
        switch format {
        case .text:
            let color: Bool
            switch diagnostics.color {
            case .always: color = true
            case .never: color = false
            case .auto: color = output == nil && Terminal.wantsColor(fd: 1)
            }
            text = DiffRenderer.text(diffs, color: color)
            for n in notes { text += "note: \(n)\n" }
        case .markdown:
            text = DiffRenderer.markdown(diffs)
            for n in notes { text += "\n> Note: \(n)\n" }
        case .json:
            text = DiffRenderer.json(diffs)
        case .sarif:
            text = SarifRenderer.diff(diffs, failing: failOn.failingImpacts)
        case .github:
            text = GitHubAnnotations.diff(diffs, failing: failOn.failingImpacts)
        }
        // Machine formats keep notes out of their output.
        if ![.text, .markdown].contains(format) { for n in notes { eprint("kfpolicy: note: \(n)\n") } }
        if let output {
            do { try writeFileAtomically(output, Array(text.utf8)) } catch {
                eprint("kfpolicy: error: \(error)\n")
                throw ExitWith(status: .usageOrIO)
            }
        } else {
            print(text, terminator: "")
        }
        if gitDriver { return }
        let w = diffs.contains { $0.hasWidenings }, n = diffs.contains { $0.hasNarrowings }
        let status: Int32
        switch failOn {
        case .none: status = 0
        case .widening: status = w ? DiffExit.widenings : 0
        case .narrowing: status = n ? DiffExit.narrowings : 0
        case .any: status = w && n ? DiffExit.both : w ? DiffExit.widenings : n ? DiffExit.narrowings : 0
        }
        // Statuses 4-6 belong to diff alone; exit here (stdout is flushed by exit).
        if status != 0 { Glibc.exit(status) }
    }
}

extension Diff {
    /// The (old, new) compilations to compare, and notes for the report; nil when there is
    /// nothing to compare (the git driver was given an included file and printed its lines).
    func loadPairs() throws(FileError) -> ([(old: Compilation, new: Compilation)], [String])? {
        if gitDriver {
            let s = try GitDriverSides.load(arguments: sides)
            if s.isIncludedFile {
                // An included file means nothing alone: show its lines, and say how to see
                // what it changes.
                print("kfpolicy diff: \(s.path) declares no policy (an included file); its line diff follows.")
                print("Run 'kfpolicy diff --git REV' to see what it changes in the policies that include it.")
                printLineDiff(s)
                return nil
            }
            if s.old.diagnostics.hasErrors || s.new.diagnostics.hasErrors {
                // git shows the driver's standard output: put the errors there, then the lines.
                for (what, c) in [("old", s.old), ("new", s.new)] where c.diagnostics.hasErrors {
                    let r = DiagnosticRenderer(sources: c.sources, color: false)
                    let side = c.sources.files.first?.path ?? what
                    print("kfpolicy diff: the \(what) side (\(side)) has errors; no semantic diff:")
                    for d in c.diagnostics.sorted where d.severity == .error { print(r.render(d), terminator: "") }
                }
                printLineDiff(s)
                return nil
            }
            return ([(s.old, s.new)], s.notes)
        }
        guard let rev = git else { return ([(try loadSide(sides[0]), try loadSide(sides[1]))], []) }
        let reader = GitRevisionReader(revision: rev)
        let top = try reader.topLevel()
        let dirRel = String(normalizedRelative(dir))
        let oldFiles = try reader.policies(in: dirRel)
        let newFiles = policyFiles(inDirectory: top + "/" + dirRel).map { (dirRel == "." ? "" : dirRel + "/") + $0 }
        var pairs: [(old: Compilation, new: Compilation)] = []
        for f in Set(oldFiles + newFiles).sorted() {
            var o = Compilation.absent(), n = Compilation.absent()
            if oldFiles.contains(f) { o = try reader.compile(f) }
            if newFiles.contains(f) { n = try compileInTree(f, top: top) }
            pairs.append((o, n))
        }
        return (pairs, pairs.isEmpty ? ["no *.policy file in \(dirRel) at \(rev) or in the working tree"] : [])
    }
}

/// The plain line diff of the two files git gave the driver.
func printLineDiff(_ s: GitDriverSides) {
    let diff = lineDiff(old: s.oldText, new: s.newText, path: s.path)
    let body = diff.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(2)
    let text = "--- a/\(s.path)\n+++ b/\(s.path)\n" + body.joined(separator: "\n")
    print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
}

/// `./a/../b` to `b`; `.` stays `.`.
func normalizedRelative(_ p: String) -> Substring {
    var parts: [Substring] = []
    for c in p.split(separator: "/") where c != "." {
        if c == "..", !parts.isEmpty, parts.last != ".." { parts.removeLast() } else { parts.append(c) }
    }
    return parts.isEmpty ? "." : Substring(parts.joined(separator: "/"))
}

/// A side given on the command line: a file, REV:PATH when no such file exists, or a policy
/// name (see PolicySearch).
func loadSide(_ spec: String) throws(FileError) -> Compilation {
    var st = stat()
    if stat(spec, &st) != 0, let colon = spec.firstIndex(of: ":") {
        let rev = String(spec[..<colon]), path = String(spec[spec.index(after: colon)...])
        guard !path.isEmpty else { throw FileError(path: spec, reason: "REV:PATH needs a path after the ':'") }
        return try GitRevisionReader(revision: rev).compile(path)
    }
    return try Compilation.compile(path: PolicySearch.resolve(spec, in: PolicySearch.directories()))
}
