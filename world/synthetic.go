package world

import (
	"fmt"
	"math/rand/v2"
)

// syntheticVersions are esVersion strings as the platform reports them.
var syntheticVersions = []string{
	"5.5.3_with_X-Pack", "6.3_with_X-Pack", "6.7.0_with_X-Pack", "6.7_with_X-Pack",
	"7.4_with_X-Pack", "7.10.0_with_X-Pack", "7.10_with_X-Pack", "7.16_with_X-Pack",
	"8.5_with_X-Pack", "8.9_with_X-Pack", "8.13", "8.15", "8.17",
}

// Synthetic makes a large inventory for benchmarks and demos: regions ×
// accounts groups of perGroup instances each, with mixed versions, kernels
// and statuses, the same for the same seed.
func Synthetic(regions, accounts, perGroup int, seed uint64) *File {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	f := &File{Region: "cn-region-00", LatestKernels: map[string]string{"6.7.0": "1.3.0"}}
	for a := range accounts {
		id := fmt.Sprintf("16380000%08d", a)
		f.Accounts = append(f.Accounts, Account{ID: id, AccessKeys: []AccessKey{{ID: fmt.Sprintf("LTAI5tSynthetic%06d", a), Secret: fmt.Sprintf("synthetic-secret-%06d", a)}}})
	}
	kernels := []string{"1.2.0", "1.3.0", ""}
	statuses := []string{"active", "active", "active", "active", "active", "active", "activating", "inactive"}
	for r := range regions {
		reg := fmt.Sprintf("cn-region-%02d", r)
		for a := range accounts {
			for i := range perGroup {
				v := syntheticVersions[rng.IntN(len(syntheticVersions))]
				rec := InstanceRecord{
					ID:      fmt.Sprintf("es-%02d-%04d-%06d", r, a, i),
					Account: f.Accounts[a].ID,
					Region:  reg,
					Version: v,
					Status:  statuses[rng.IntN(len(statuses))],
				}
				if v == "6.7.0_with_X-Pack" || v == "6.7_with_X-Pack" {
					rec.Kernel = kernels[rng.IntN(len(kernels))]
				}
				f.Instances = append(f.Instances, rec)
			}
		}
	}
	return f
}
