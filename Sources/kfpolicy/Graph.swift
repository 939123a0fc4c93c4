// kfpolicy graph

import ArgumentParser
import KFPolicy
import KFPolicyDriver
import KFPolicyRender
#if canImport(Glibc)
import Glibc
#endif

enum GraphFormat: String, ExpressibleByArgument, CaseIterable { case dot, svg }

struct Graph: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw the nesting graph: callbacks, kfuncs and how they nest (DOT or SVG).",
        discussion: """
            Callbacks are boxes, clustered and coloured by the contexts they run in; kfuncs are \
            ellipses. Grey arrows: a callback may call a kfunc; blue: a kfunc invokes (calls back \
            into) a callback; red dashed: the kernel runs a callback inside another. By default \
            only kfuncs that invoke a callback are shown, with their callers. SVG needs Graphviz \
            ('dot', Debian package graphviz). A policy whose only errors are nesting cycles \
            (KFP501, KFP502) is drawn all the same, every edge on a cycle bold red and labelled \
            'cycle', and the exit status is still 1. Exit status: 0 drawn; 1 the policy has \
            errors (drawn if they are cycles only); 2 usage or I/O error (including a missing 'dot').
            """)

    @Argument(help: "The policy file.") var file: String
    @Option(help: "Output format: dot or svg.") var format: GraphFormat = .dot
    @Flag(help: "Show every kfunc and the callbacks that may call it, not only kfuncs that take part in nesting.")
    var allKfuncs = false
    @Flag(help: "Show every callback, even those on no edge.") var allCallbacks = false
    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.") var output: String?
    @OptionGroup var diagnostics: OutputOptions

    func run() throws {
        let c = try compileOrExit(file)
        let failed = report(c, diagnostics)
        // A cycle is exactly when a picture helps: draw it unless other errors make the model
        // unreliable.
        let drawable: Set<DiagID> = [.nestingCycle, .selfNest]
        if failed && (c.diagnostics.droppedErrors > 0
                      || c.diagnostics.items.contains { $0.severity == .error && !drawable.contains($0.id) }) {
            throw ExitWith(status: .policyError)
        }
        let dot = GraphRenderer.dot(c.policy, .init(allKfuncs: allKfuncs, allCallbacks: allCallbacks))
        var text = dot
        if format == .svg {
            do { text = try Graphviz.svg(dot: dot) } catch {
                eprint("kfpolicy: error: \(error.reason)\n")
                throw ExitWith(status: .usageOrIO)
            }
        }
        try emit(text, to: output)
        if failed { throw ExitWith(status: .policyError) }
    }
}

/// Prints `text`, or writes it atomically to `path`.
func emit(_ text: String, to path: String?) throws {
    guard let path else { print(text, terminator: ""); return }
    do { try writeFileAtomically(path, Array(text.utf8)) } catch {
        eprint("kfpolicy: error: \(error)\n")
        throw ExitWith(status: .usageOrIO)
    }
}
