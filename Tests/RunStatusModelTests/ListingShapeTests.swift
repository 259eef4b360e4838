import Testing
import RunStatusModel

/// What the runtime asks of a vendor instead of switching on it: list order and paging, `discover` keys, rate limits.
@Suite struct ListingShapeTests {
    @Test func everyListerStatesItsOrderAndKeys() {
        #expect(Vendor.wes.lister?.shape.order == .newestFirst)
        #expect(Vendor.instabase.lister?.shape.order == .oldestFirst)
        #expect(Vendor.sequentum.lister?.shape.order == .perAgent)
        #expect(Vendor.rsa.lister == nil && Vendor.nexio.lister == nil)
        #expect(Vendor.discoverKeysByVendor == [.wes: ["page_size"], .instabase: ["app_id", "deployment_id", "status", "page_size"],
                                                .sequentum: ["agents", "max_records"]])
        #expect(Vendor.sequentum.lister?.shape.requiredDiscoverKeys.keys.sorted() == ["agents"])
    }

    @Test func pagingFollowsTheOrder() throws {
        let query = ListingQuery(maxRuns: 50, pageSize: 20, agents: [1, 2, 3])
        let wes = try #require(Vendor.wes.lister?.shape)
        let instabase = try #require(Vendor.instabase.lister?.shape)
        let sequentum = try #require(Vendor.sequentum.lister?.shape)
        #expect(wes.entryCap(maxRuns: 50) == 50 && wes.maxPages(query) == 50 / 20 + 2)
        #expect(instabase.entryCap(maxRuns: 50) == 500 && instabase.maxPages(query) == 500 / 20 + 2)
        #expect(sequentum.maxPages(query) == 3 && !sequentum.stopsAtEntryCap)
        #expect(!wes.sortsByStart && instabase.sortsByStart && sequentum.sortsByStart)
    }

    @Test func onlySequentumDocumentsARateLimit() {
        #expect(Vendor.sequentum.defaultRateLimit == RateLimit(requests: 100, per: 60))
        for vendor in Vendor.allCases where vendor != .sequentum { #expect(vendor.defaultRateLimit == nil) }
    }
}
