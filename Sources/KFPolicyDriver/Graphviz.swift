// SVG from DOT, by Graphviz's `dot`: the one renderer that is another program.

import KFPolicy

public enum Graphviz {
    /// Renders DOT to SVG with Graphviz's `dot`.
    public static func svg(dot: String) throws(FileError) -> String {
        let r: ProcessResult
        do { r = try runSubprocess(["dot", "-Tsvg"], input: Array(dot.utf8)) } catch {
            throw FileError(path: "dot", reason: "cannot run Graphviz's dot (\(error.reason)); install the graphviz "
                                + "package (scripts/setup.sh does)")
        }
        guard r.status == 0 else { throw FileError(path: "dot", reason: "dot -Tsvg failed: \(r.errorLine)") }
        return String(decoding: r.stdout, as: UTF8.self)
    }
}
