import Glibc

/// Memory for tables sized to the connection limit, mapped without touching
/// it: the kernel gives a page real memory only when it is first written. A
/// table for 100,000 connections then costs what the connections in use
/// reach, not its capacity; untouched pages read as zeros.
enum ReservedMemory {
    static func reserve<Element>(_ type: Element.Type, capacity: Int) -> UnsafeMutablePointer<Element> {
        let bytes = max(capacity, 1) * MemoryLayout<Element>.stride
        guard let memory = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
              memory != MAP_FAILED else {
            fatalError("cannot reserve \(bytes) bytes: \(String(cString: strerror(errno)))")
        }
        return memory.bindMemory(to: Element.self, capacity: max(capacity, 1))
    }

    static func release<Element>(_ pointer: UnsafeMutablePointer<Element>, capacity: Int) {
        munmap(UnsafeMutableRawPointer(pointer), max(capacity, 1) * MemoryLayout<Element>.stride)
    }
}
