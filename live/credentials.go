package live

import (
	"fmt"
	"strings"

	"github.com/aliyun/credentials-go/credentials/providers"

	"github.com/snaprepo/conform/acs"
)

// LoadCredentials finds the caller's credentials the way Alibaba Cloud users
// keep them, through the official credentials library, in this order:
// ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET (and _SECURITY_TOKEN), unless a
// profile is named, which then wins over the environment; the aliyun
// CLI's profile (~/.aliyun/config.json, profile from --profile, else
// ALIBABA_CLOUD_PROFILE, else the file's current one); the credentials file
// (~/.alibabacloud/credentials or ALIBABA_CLOUD_CREDENTIALS_FILE). The ECS
// instance role is not tried: it needs the metadata service, and a check
// run off ECS would wait on it. It returns where the credentials came from;
// the secret is never part of any message.
func LoadCredentials(profile string) (acs.Credentials, string, error) {
	type source struct {
		name  string
		build func() (providers.CredentialsProvider, error)
	}
	sources := []source{
		{"environment (ALIBABA_CLOUD_ACCESS_KEY_ID)", func() (providers.CredentialsProvider, error) {
			return providers.NewEnvironmentVariableCredentialsProviderBuilder().Build()
		}},
		{"aliyun CLI profile", func() (providers.CredentialsProvider, error) {
			b := providers.NewCLIProfileCredentialsProviderBuilder()
			if profile != "" {
				b = b.WithProfileName(profile)
			}
			return b.Build()
		}},
		{"credentials file", func() (providers.CredentialsProvider, error) {
			b := providers.NewProfileCredentialsProviderBuilder()
			if profile != "" {
				b = b.WithProfileName(profile)
			}
			return b.Build()
		}},
	}
	if profile != "" {
		sources = sources[1:]
	}
	var tried []string
	for _, s := range sources {
		p, err := s.build()
		if err != nil {
			tried = append(tried, s.name+": "+redact(err.Error()))
			continue
		}
		c, err := p.GetCredentials()
		if err != nil {
			tried = append(tried, s.name+": "+redact(err.Error()))
			continue
		}
		if c.AccessKeyId == "" || c.AccessKeySecret == "" {
			tried = append(tried, s.name+": no AccessKey in it")
			continue
		}
		where := s.name
		if profile != "" {
			where += " " + profile
		}
		return acs.Credentials{AccessKeyID: c.AccessKeyId, AccessKeySecret: c.AccessKeySecret, SecurityToken: c.SecurityToken}, where, nil
	}
	return acs.Credentials{}, "", fmt.Errorf("no credentials found (set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or configure a profile with `aliyun configure` and name it): %s", strings.Join(tried, "; "))
}

// redact keeps library errors from echoing anything that looks like a secret.
func redact(s string) string {
	if i := strings.Index(strings.ToLower(s), "secret"); i >= 0 && strings.Contains(s[i:], ":") {
		return s[:i] + "secret …"
	}
	return s
}
