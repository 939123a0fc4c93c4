// JSON-RPC over a byte stream with LSP's base protocol framing: `Content-Length: N` headers, a
// blank line, then N bytes of JSON.

#if canImport(Glibc)
import Glibc
#endif

/// Why a message could not be read.
public enum TransportError: Error, Equatable {
    /// The stream ended (between messages: the client went away).
    case endOfInput
    /// Headers without a usable Content-Length, or a stream that ended inside a message.
    case malformed(String)
}

/// Reads framed messages from a file descriptor.
public struct MessageReader {
    let fd: Int32
    var buffer: [UInt8] = []
    var position = 0
    /// Bodies larger than this are refused: a policy is about 20 KB, and a bad length must not
    /// make the server allocate gigabytes.
    static let maxBody = 64 << 20

    public init(fd: Int32) { self.fd = fd }

    /// The next message's body.
    public mutating func next() throws(TransportError) -> [UInt8] {
        // Drop what earlier messages consumed (only here, so that offsets stay valid below).
        if position > 0 {
            buffer.removeFirst(position)
            position = 0
        }
        var length: Int?
        while true {
            let line = try readLine()
            if line.isEmpty { break }
            let text = String(decoding: line, as: UTF8.self)
            guard let colon = text.firstIndex(of: ":") else { throw .malformed("header without ':': \(text)") }
            if text[..<colon].lowercased() == "content-length" {
                let value = text[text.index(after: colon)...].trimmingASCIISpaces
                guard let n = Int(value), n >= 0, n <= MessageReader.maxBody else {
                    throw .malformed("bad Content-Length: \(value)")
                }
                length = n
            }
        }
        guard let length else { throw .malformed("a message without Content-Length") }
        try fill(length)
        defer { position += length }
        return Array(buffer[position..<position + length])
    }

    /// One header line without its CR LF.
    mutating func readLine() throws(TransportError) -> ArraySlice<UInt8> {
        var scanned = position
        while true {
            while scanned < buffer.count {
                if buffer[scanned] == UInt8(ascii: "\n") {
                    var end = scanned
                    if end > position, buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                    defer { position = scanned + 1 }
                    return buffer[position..<end]
                }
                scanned += 1
            }
            guard try readMore() else {
                throw position == buffer.count ? .endOfInput : .malformed("input ended inside the headers")
            }
        }
    }

    /// Makes `count` bytes available from `position`.
    mutating func fill(_ count: Int) throws(TransportError) {
        while buffer.count - position < count {
            guard try readMore() else { throw .malformed("input ended inside a message") }
        }
    }

    /// Reads what is available; false at end of input.
    mutating func readMore() throws(TransportError) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw .malformed("read error: \(String(cString: strerror(errno)))") }
            if n == 0 { return false }
            buffer.append(contentsOf: chunk[0..<n])
            return true
        }
    }
}

/// Writes framed messages to a file descriptor.
public struct MessageWriter {
    let fd: Int32
    public init(fd: Int32) { self.fd = fd }

    /// Writes one message; false when the client is gone.
    @discardableResult
    public func send(_ message: JSON) -> Bool {
        let body = message.serialized()
        let bytes = Array("Content-Length: \(body.count)\r\n\r\n".utf8) + body
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + off, $0.count - off) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            off += n
        }
        return true
    }
}

extension Substring {
    var trimmingASCIISpaces: Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}
