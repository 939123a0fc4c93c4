// An indentation-aware text buffer that every emitter writes into.

/// One line of generated code, built from a string literal with interpolations straight into
/// UTF-8 bytes: `out.line("[\(name)] = \(i),")` makes no intermediate String. Emitters print
/// a line per kfunc in several tables, so this is the generator's inner loop.
public struct CodeLine: ExpressibleByStringInterpolation, Sendable {
    var bytes: [UInt8]

    public init(stringLiteral s: String) { bytes = Array(s.utf8) }
    public init(stringInterpolation i: StringInterpolation) { bytes = i.bytes }
    /// A line whose text is already a String.
    public init(_ s: String) { bytes = Array(s.utf8) }

    public struct StringInterpolation: StringInterpolationProtocol {
        var bytes: [UInt8] = []
        public init(literalCapacity: Int, interpolationCount: Int) {
            bytes.reserveCapacity(literalCapacity + 24 * interpolationCount)
        }
        public mutating func appendLiteral(_ s: String) { appendInterpolation(s) }
        public mutating func appendInterpolation(_ s: String) {
            var s = s
            s.withUTF8 { bytes.append(contentsOf: $0) }
        }
        public mutating func appendInterpolation(_ s: Substring) { bytes.append(contentsOf: s.utf8) }
        public mutating func appendInterpolation(_ v: Int) {
            if v < 0 { bytes.append(45) }
            var m = v.magnitude
            var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                         UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            var n = 0
            withUnsafeMutableBytes(of: &digits) { d in
                repeat { d[n] = UInt8(48 + m % 10); m /= 10; n += 1 } while m > 0
                while n > 0 { n -= 1; bytes.append(d[n]) }
            }
        }
        public mutating func appendInterpolation(_ v: some CustomStringConvertible) { appendInterpolation(v.description) }
    }
}

/// Growable byte storage whose appends are a capacity check and a memcpy.
final class ByteBuffer: @unchecked Sendable {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int) {
        self.capacity = Swift.max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }
    deinit { base.deallocate() }

    func copy() -> ByteBuffer {
        let b = ByteBuffer(capacity: capacity)
        b.base.update(from: base, count: count)
        b.count = count
        return b
    }

    @inline(__always) func append(_ p: UnsafeRawBufferPointer) {
        let n = p.count
        if count + n > capacity { grow(count + n) }
        if n > 0 { UnsafeMutableRawPointer(base + count).copyMemory(from: p.baseAddress!, byteCount: n) }
        count += n
    }

    @inline(__always) func append(_ byte: UInt8) {
        if count == capacity { grow(count + 1) }
        base[count] = byte
        count += 1
    }

    private func grow(_ needed: Int) {
        let c = Swift.max(needed, capacity * 2)
        let b = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
        b.update(from: base, count: count)
        base.deallocate()
        base = b
        capacity = c
    }

    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }
}

public struct CodePrinter {
    /// The UTF-8 text printed so far, in a buffer whose appends are a memcpy (a 100k-kfunc
    /// policy prints a million lines); copied out once by `bytes`.
    var buffer: ByteBuffer
    public var bytes: [UInt8] { Array(buffer.bytes) }
    public var text: String { String(decoding: buffer.bytes, as: UTF8.self) }
    /// The number of bytes printed so far.
    public var byteCount: Int { buffer.count }
    /// For each line printed, the policy declaration it came from (`.none` when none), so a
    /// problem found in the generated text can be traced back to the policy.
    public private(set) var origins: [SourceRange] = []
    /// The declaration the next lines come from, unless a line names its own.
    public var origin = SourceRange.none
    var level = 0
    let unit: [UInt8]

    /// A printer shares its buffer with copies of itself until one of them prints.
    mutating func unique() -> ByteBuffer {
        if !isKnownUniquelyReferenced(&buffer) { buffer = buffer.copy() }
        return buffer
    }

    /// Appends raw bytes.
    mutating func write(_ p: UnsafeRawBufferPointer) { unique().append(p) }
    mutating func write(_ bytes: [UInt8]) { bytes.withUnsafeBytes { unique().append($0) } }
    /// Copies the printed bytes to `dst`, which has room for `byteCount` of them.
    public func copyBytes(to dst: UnsafeMutableRawPointer) {
        if buffer.count > 0 { dst.copyMemory(from: buffer.base, byteCount: buffer.count) }
    }

    /// Whether `origins` is kept (only validation reads it; a large header has a million lines).
    let recordsOrigins: Bool

    /// `capacity`: the bytes to reserve, when the caller can estimate the size.
    public init(indent unit: String = "\t", recordsOrigins: Bool = true, capacity: Int = 0) {
        self.unit = Array(unit.utf8)
        self.recordsOrigins = recordsOrigins
        buffer = ByteBuffer(capacity: capacity)
    }

    /// Prints one line at the current indentation (an empty line prints no indentation).
    public mutating func line(_ l: CodeLine = "") {
        if recordsOrigins { origins.append(origin) }
        let b = unique()
        if !l.bytes.isEmpty {
            for _ in 0..<level { unit.withUnsafeBytes { b.append($0) } }
            l.bytes.withUnsafeBytes { b.append($0) }
        }
        b.append(10)
    }

    /// A line printed in pieces, for the tables with a row per kfunc: `begin(from:)`, `put`
    /// each piece, `end()` print what `line(_:from:)` would, without building the line first.
    public mutating func begin(from range: SourceRange) {
        if recordsOrigins { origins.append(range) }
        let b = unique()
        for _ in 0..<level { unit.withUnsafeBytes { b.append($0) } }
    }
    public mutating func put(_ s: String) {
        let b = unique()
        var s = s
        s.withUTF8 { b.append(UnsafeRawBufferPointer($0)) }
    }
    public mutating func put(_ v: Int) {
        var l = CodeLine.StringInterpolation(literalCapacity: 0, interpolationCount: 0)
        l.appendInterpolation(v)
        write(l.bytes)
    }
    public mutating func end() { unique().append(10) }

    /// Prints one line that comes from the declaration at `range`.
    public mutating func line(_ l: CodeLine, from range: SourceRange) {
        let saved = origin
        origin = range
        line(l)
        origin = saved
    }

    /// Prints each line of a multi-line string at the current indentation.
    public mutating func lines(_ s: String) {
        for l in s.split(separator: "\n", omittingEmptySubsequences: false) { line("\(l)") }
    }

    public mutating func indent() { level += 1 }
    public mutating func outdent() { level -= 1 }

    /// `header {`, the body one level in, then `footer`.
    public mutating func block(_ header: String, _ footer: String = "}", _ body: (inout CodePrinter) -> Void) {
        line(CodeLine(header))
        indent()
        body(&self)
        outdent()
        line(CodeLine(footer))
    }

    /// A C block comment; each line of `s` becomes ` * line`.
    public mutating func comment(_ s: String) {
        let ls = s.split(separator: "\n", omittingEmptySubsequences: false)
        if ls.count == 1 { line("/* \(s) */"); return }
        line("/*")
        for l in ls { line(l.isEmpty ? " *" : " * \(l)") }
        line(" */")
    }
}
