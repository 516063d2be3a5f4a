package server_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/snaprepo/conform/acs"
	"github.com/snaprepo/conform/apiclient"
	"github.com/snaprepo/conform/internal/wiretest"
)

// conform's classic dialect (--signature v1 with the form body) sends what
// alibaba-cloud-sdk-go sends: the same method, path, headers and string to
// sign, byte for byte once dates are set aside. The SDK-CLASSIC specs rest
// on it, so the suite need not compile the SDK's generated services.
func TestConformSpeaksLikeTheClassicGoSDK(t *testing.T) {
	answer := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"Result":true,"RequestId":"C0FFEE00-0000-0000-0000-000000000000"}`))
	}
	sdkRec, ours := wiretest.NewRecorder(answer), wiretest.NewRecorder(answer)
	defer sdkRec.Close()
	defer ours.Close()
	if _, err := sdkClient(t, primarySecret).AddSnapshotRepo(addRequest(t, sdkRec.Server, dest710, src79)); err != nil {
		t.Fatal(err)
	}
	c := apiclient.New(ours.URL, acs.Credentials{AccessKeyID: primaryKey, AccessKeySecret: primarySecret}, apiclient.SignClassic, 5*time.Second)
	if _, err := c.Do(context.Background(), apiclient.AddClassic(dest710, src79)); err != nil {
		t.Fatal(err)
	}
	theirs, mine := wiretest.Shape(sdkRec.Requests()[0], acs.V1Form{OmitEmptyHeaders: true}), wiretest.Shape(ours.Requests()[0], acs.V1Form{OmitEmptyHeaders: true})
	if theirs != mine {
		t.Errorf("conform's classic request differs from alibaba-cloud-sdk-go's\nSDK:\n%s\nconform:\n%s", theirs, mine)
	}
}

// ReadClassic reads every kind of answer as alibaba-cloud-sdk-go does.
func TestReadClassicReadsAnswersAsTheClassicSDKDoes(t *testing.T) {
	for _, tt := range []struct {
		name   string
		status int
		body   string
	}{
		{"success", 200, `{"Result":true,"RequestId":"R1"}`},
		{"Result false", 200, `{"Result":false,"RequestId":"R2"}`},
		{"documented error", 400, `{"Code":"InstanceNotFound","Message":"The instanceId provided does not exist.","RequestId":"R3","HostId":"h"}`},
		{"error without Message", 400, `{"Code":"X","RequestId":"R4"}`},
		{"another status", 404, `{"Code":"InvalidAccessKeyId.NotFound","Message":"Specified access key is not found.","RequestId":"R5"}`},
		{"error that is not JSON", 502, `<html>bad gateway</html>`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := wiretest.NewRecorder(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			})
			defer rec.Close()
			want := apiclient.ClassicAnswer{Status: tt.status}
			resp, err := sdkClient(t, primarySecret).AddSnapshotRepo(addRequest(t, rec.Server, dest710, src79))
			if err != nil {
				se := serverError(t, err)
				want.ServerError, want.Code, want.Message, want.RequestID = true, se.ErrorCode(), se.Message(), se.RequestId()
				if want.Message == tt.body {
					want.Message = "" // the SDK keeps the raw body when it finds no Message
				}
			} else {
				want.Result, want.RequestID = resp.Result, resp.RequestId
			}
			c := apiclient.New(rec.URL, acs.Credentials{AccessKeyID: primaryKey, AccessKeySecret: primarySecret}, apiclient.SignClassic, 5*time.Second)
			ours, err := c.Do(context.Background(), apiclient.AddClassic(dest710, src79))
			if err != nil {
				t.Fatal(err)
			}
			if got := apiclient.ReadClassic(ours); got != want {
				t.Errorf("ReadClassic %+v, the SDK %+v", got, want)
			}
		})
	}
}
