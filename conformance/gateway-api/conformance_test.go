// The Gateway API conformance suite, run by the harness (python -m harness
// conformance) on the implementations this project builds.
//
// Two tests, selected with -test.run:
//
//   - TestCatalogue writes what the pinned suite knows (every feature with its
//     channel, every conformance profile's core and extended features, every
//     test with its features) as JSON to -catalogue-output. It needs no
//     cluster: the harness reads it before anything is created, to check an
//     implementation's set-up names only features this suite version knows and
//     to sort results into profiles and levels.
//   - TestGatewayAPIConformance runs the suite as upstream's own
//     conformance.RunConformance does: options from the suite's flags
//     (-conformance-options-file, -report-output, ...), every test of
//     tests.ConformanceTests, the ConformanceReport written to -report-output.
//
// The report of v1.6.1 counts a parallel test as passed when it is
// scheduled, before it runs (fixed upstream in v1.6.2): the harness takes
// each test's outcome from `go test`'s own events (test2json), not from it.
package conformance

import (
	"encoding/json"
	"flag"
	"os"
	"sort"
	"testing"

	"k8s.io/apimachinery/pkg/util/sets"
	"sigs.k8s.io/gateway-api/conformance"
	"sigs.k8s.io/gateway-api/conformance/tests"
	"sigs.k8s.io/gateway-api/conformance/utils/suite"
	"sigs.k8s.io/gateway-api/pkg/features"
)

var catalogueOutput = flag.String("catalogue-output", "", "TestCatalogue: where to write the suite's features, profiles and tests as JSON")

type catalogueFeature struct {
	Name    string `json:"name"`
	Channel string `json:"channel"`
}

type catalogueProfile struct {
	Core     []string `json:"core"`
	Extended []string `json:"extended"`
}

type catalogueTest struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Features    []string `json:"features"`
	Provisional bool     `json:"provisional"`
	Parallel    bool     `json:"parallel"`
	Slow        bool     `json:"slow"`
}

type catalogue struct {
	Features []catalogueFeature          `json:"features"`
	Profiles map[string]catalogueProfile `json:"profiles"`
	Tests    []catalogueTest             `json:"tests"`
}

func names(set sets.Set[features.FeatureName]) []string {
	out := make([]string, 0, set.Len())
	for _, n := range sets.List(set) {
		out = append(out, string(n))
	}
	return out
}

func TestCatalogue(t *testing.T) {
	if *catalogueOutput == "" {
		t.Skip("no -catalogue-output given")
	}
	c := catalogue{Profiles: map[string]catalogueProfile{}}
	for f := range features.AllFeatures {
		c.Features = append(c.Features, catalogueFeature{Name: string(f.Name), Channel: string(f.Channel)})
	}
	sort.Slice(c.Features, func(i, j int) bool { return c.Features[i].Name < c.Features[j].Name })
	for _, p := range []suite.ConformanceProfile{
		suite.GatewayHTTPConformanceProfile,
		suite.GatewayTLSConformanceProfile,
		suite.GatewayTCPConformanceProfile,
		suite.GatewayUDPConformanceProfile,
		suite.GatewayGRPCConformanceProfile,
		suite.MeshHTTPConformanceProfile,
		suite.MeshGRPCConformanceProfile,
	} {
		c.Profiles[string(p.Name)] = catalogueProfile{Core: names(p.CoreFeatures), Extended: names(p.ExtendedFeatures)}
	}
	for _, test := range tests.ConformanceTests {
		fs := make([]string, 0, len(test.Features))
		for _, f := range test.Features {
			fs = append(fs, string(f))
		}
		c.Tests = append(c.Tests, catalogueTest{
			Name: test.ShortName, Description: test.Description, Features: fs,
			Provisional: test.Provisional, Parallel: test.Parallel, Slow: test.Slow,
		})
	}
	data, err := json.MarshalIndent(c, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(*catalogueOutput, append(data, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestGatewayAPIConformance(t *testing.T) {
	conformance.RunConformance(t)
}
