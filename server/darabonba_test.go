package server_test

import (
	"errors"
	"net/url"
	"testing"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"

	"github.com/snaprepo/conform/server"
)

// darabonba is the current official SDK core (darabonba-openapi v2), pointed
// at ts: algorithm "" signs ACS3-HMAC-SHA256 (its default), "v2" signs ROA
// 1.0 its own way (a nonce, no Content-MD5).
func darabonba(t *testing.T, tsURL, algorithm, secret string) *openapi.Client {
	t.Helper()
	u, _ := url.Parse(tsURL)
	cfg := &openapi.Config{}
	cfg.SetAccessKeyId(primaryKey).SetAccessKeySecret(secret).SetEndpoint(u.Host).SetProtocol("http").SetRegionId("cn-hangzhou")
	if algorithm != "" {
		cfg.SetSignatureAlgorithm(algorithm)
	}
	c, err := openapi.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func darabonbaAdd(c *openapi.Client, dest, src string) (map[string]interface{}, error) {
	params := &openapi.Params{
		Action: dara.String("AddSnapshotRepo"), Version: dara.String("2017-06-13"), Protocol: dara.String("HTTP"),
		Pathname: dara.String("/openapi/instances/" + dest + "/snapshot-repos"), Method: dara.String("POST"),
		AuthType: dara.String("AK"), Style: dara.String("ROA"), ReqBodyType: dara.String("json"), BodyType: dara.String("json"),
	}
	return c.CallApi(params, &openapi.OpenApiRequest{Body: map[string]interface{}{"repoPath": src}}, &dara.RuntimeOptions{})
}

func TestDarabonbaSDKBothSchemes(t *testing.T) {
	for _, alg := range []string{"", "v2"} {
		name := map[string]string{"": "ACS3-HMAC-SHA256", "v2": "ROA 1.0 with a nonce"}[alg]
		t.Run(name, func(t *testing.T) {
			srv, ts := start(t, server.Options{})
			res, err := darabonbaAdd(darabonba(t, ts.URL, alg, primarySecret), dest710, src79)
			if err != nil {
				t.Fatalf("AddSnapshotRepo: %v", err)
			}
			body, _ := res["body"].(map[string]interface{})
			if body["Result"] != true || body["RequestId"] == "" {
				t.Errorf("body %v", body)
			}
			if got := srv.Repos(dest710); len(got) != 1 {
				t.Errorf("repos %v", got)
			}

			_, err = darabonbaAdd(darabonba(t, ts.URL, alg, primarySecret), "es-cn-cfactivating00001", src79)
			var se *tea.SDKError
			if !errors.As(err, &se) || tea.StringValue(se.Code) != "InstanceActivating" || tea.IntValue(se.StatusCode) != 400 {
				t.Errorf("activating destination: %v", err)
			}
			_, err = darabonbaAdd(darabonba(t, ts.URL, alg, "wrong"), dest710, src74)
			if !errors.As(err, &se) || tea.StringValue(se.Code) != "SignatureDoesNotMatch" {
				t.Errorf("wrong secret: %v", err)
			}
		})
	}
}
