import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reading the kernel's /proc files, whose size reads as 0.
enum ProcFile {
    /// Calls `body` with each line of a /proc file until it returns false. Reads with
    /// read(2) to EOF: Foundation's file reading stops after the first chunk of a proc file.
    static func forEachLine(_ path: String, _ body: (Substring) -> Bool) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var pending = ""
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            pending += String(decoding: chunk[0..<n], as: UTF8.self)
            guard let lastNewline = pending.lastIndex(of: "\n") else { continue }
            for line in pending[..<lastNewline].split(separator: "\n") where !body(line) { return }
            pending = String(pending[pending.index(after: lastNewline)...])
        }
        if !pending.isEmpty { _ = body(Substring(pending)) }
    }
}
