import Foundation

extension SimulatedVendor {
    /// Where the vendor's documented paths start, under the server's root.
    var basePath: String {
        switch self {
        case .wes: "/ga4gh/wes/v1"
        case .rsa, .sequentum, .instabase, .nexio: ""
        }
    }

    /// The header and scheme each vendor documents first for its credential (`authorized` accepts these and more).
    var credentialHeader: (name: String, scheme: String?) {
        switch self {
        case .rsa, .instabase, .nexio: ("Authorization", "Bearer")
        case .sequentum: ("Authorization", "ApiKey")
        case .wes: ("X-SBG-Auth-Token", nil)
        }
    }

    /// Whether the vendor writes zoneless server-local times (RSA); the others write UTC or carry their offset.
    var writesServerLocalTimes: Bool {
        switch self {
        case .rsa: true
        case .sequentum, .instabase, .wes, .nexio: false
        }
    }

    /// Headers the vendor documents besides the credential: Instabase's organization context.
    var documentedHeaders: [String: String] {
        switch self {
        case .instabase: ["IB-Context": "demo-org"]
        case .rsa, .sequentum, .wes, .nexio: [:]
        }
    }
}

extension SimulatorScenario {
    /// How a client reaches `vendor` (a name in `SimulatorScenario.vendors`) on a simulator serving at `baseURL`;
    /// nil for a name that is not one of them.
    public func endpoint(for vendor: String, baseURL: String) -> SimulatedEndpoint? {
        guard let simulated = SimulatedVendor(name: vendor) else { return nil }
        let zone = simulated.writesServerLocalTimes ? TimeZone(secondsFromGMT: rsaUTCOffsetSeconds)?.identifier ?? "UTC" : "UTC"
        return SimulatedEndpoint(url: baseURL + simulated.basePath, credential: credential(for: vendor),
                                 credentialHeader: simulated.credentialHeader.name,
                                 credentialScheme: simulated.credentialHeader.scheme,
                                 headers: simulated.documentedHeaders, timeZone: zone)
    }
}
