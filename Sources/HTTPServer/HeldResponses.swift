/// Responses that may not leave before an instant (`HTTPResponse.notBefore`), kept by the event loop: its poll
/// timeout does the waiting, so a held response costs memory only, never a thread.
///
/// A pure value: the loop passes `now`, tests pass instants of their own.
struct HeldResponses<Item> {
    /// Sorted by `due`; equal instants keep their arrival order.
    private var items: [(due: ContinuousClock.Instant, item: Item)] = []

    var isEmpty: Bool { items.isEmpty }

    /// When the loop must wake to release the next one; nil when none is held.
    var nextDue: ContinuousClock.Instant? { items.first?.due }

    mutating func hold(_ item: Item, until due: ContinuousClock.Instant) {
        // After every item due at or before `due`: few are ever held, a linear search from the end is enough.
        var index = items.endIndex
        while index > items.startIndex && items[index - 1].due > due { index -= 1 }
        items.insert((due, item), at: index)
    }

    /// Everything due at `now`, in due order.
    mutating func takeDue(now: ContinuousClock.Instant) -> [Item] {
        let end = items.firstIndex { $0.due > now } ?? items.endIndex
        guard end > items.startIndex else { return [] }
        defer { items.removeFirst(end) }
        return items[..<end].map(\.item)
    }
}
