extension RunObservation {
    /// Longest vendor state kept: it becomes a label value, and a broken server must not blow up
    /// the exposition.
    public static let vendorStateLimit = 64

    /// Applies the rules all vendors share: an end time only once the run has truly ended (a
    /// Sequentum Failure restarted to Running keeps its stale `endTime`), and a bounded, printable
    /// vendor state.
    static func normalized(state: RunState, vendorState: String, mapped: Bool,
                           start: Double?, end: Double?, reportedDuration: Double? = nil,
                           reportedErrors: Double? = nil, timesUnknown: Bool = false) -> RunObservation {
        RunObservation(state: state, vendorState: label(vendorState), mapped: mapped,
                       startTime: start, endTime: state.isTerminal ? end : nil,
                       reportedDuration: reportedDuration, reportedErrors: reportedErrors,
                       timesUnknown: timesUnknown)
    }

    static func label(_ value: String) -> String {
        let printable = value.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F }
        if printable && value.count <= vendorStateLimit { return value }
        var scalars = String.UnicodeScalarView()
        for s in value.unicodeScalars { scalars.append(s.value < 0x20 || s.value == 0x7F ? " " : s) }
        let cleaned = String(scalars)
        return cleaned.count <= vendorStateLimit ? cleaned : String(cleaned.prefix(vendorStateLimit - 1)) + "…"
    }

    /// The normalized state of a vendor value by a case-insensitive table look-up; values the table
    /// does not know are `unknown` and not mapped, so the runtime can count them.
    static func lookUp(_ value: String, in table: [String: RunState]) -> (RunState, mapped: Bool) {
        if let state = table[value] ?? table[value.uppercased()] { return (state, true) }
        return (.unknown, false)
    }
}
