// Package apierror is the one definition of every error the AddSnapshotRepo
// API and its gateway answer: code, message and HTTP status. The checker names
// them in verdicts, the reference server sends them and the suite expects them.
package apierror

import (
	"fmt"
	"net/http"
)

// Error is one error answer of the API, as it appears in the error envelope.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Status  int    `json:"-"`
	// Documented says the code and message come from the API reference of
	// the operation; the others are the platform's codes from elsewhere or
	// this project's own names for refusals the reference leaves unnamed.
	Documented bool `json:"-"`
	// Source is where the code, message and status come from: a reference
	// page, the platform's gateway, or conform's own choice.
	Source string `json:"-"`
}

// The sources of the answers below.
const (
	// SourceReference: the API reference pages of AddSnapshotRepo and
	// DeleteSnapshotRepo, "Error codes".
	SourceReference = "API reference (AddSnapshotRepo, DeleteSnapshotRepo: Error codes)"
	// SourceGateway: the platform's API gateway (POP), as its error center
	// and the official SDKs' handling show it, for every operation.
	SourceGateway = "the platform's API gateway (error center; the official SDKs read these codes)"
	// SourcePlatform: a code the platform answers for the condition in
	// other operations of the same product.
	SourcePlatform = "the platform, for the same condition in other operations (not documented for these)"
	// SourceConform: no public source names an answer; this is conform's.
	SourceConform = "conform's own choice: no public source documents an answer"
)

// Documented errors of AddSnapshotRepo (API reference, "Error codes").
var (
	InstanceNotFound   = Error{Code: "InstanceNotFound", Message: "The instanceId provided does not exist.", Status: http.StatusBadRequest, Documented: true, Source: SourceReference}
	InstanceActivating = Error{Code: "InstanceActivating", Message: "Instance is activating.", Status: http.StatusBadRequest, Documented: true, Source: SourceReference}
)

// Refusals by the compatibility rules. The platform does not document their
// codes; these are the reference implementation's, and the suite accepts any
// 4xx envelope for them.
var (
	InstanceNotActive    = Error{Code: "InstanceStatusNotSupportCurrentAction", Message: "The cluster is running tasks or in an error status. Try again later.", Status: http.StatusBadRequest, Source: SourcePlatform}
	SourceNotFound       = Error{Code: "SnapshotRepo.SourceNotFound", Message: "The source instance in repoPath does not exist.", Status: http.StatusBadRequest, Source: SourceConform}
	SourceIsDestination  = Error{Code: "SnapshotRepo.SameInstance", Message: "The source instance in repoPath is the destination instance.", Status: http.StatusBadRequest, Source: SourceConform}
	RegionMismatch       = Error{Code: "SnapshotRepo.RegionMismatch", Message: "The source instance is not in the destination instance's region.", Status: http.StatusBadRequest, Source: SourceConform}
	VersionIncompatible  = Error{Code: "SnapshotRepo.VersionNotSupport", Message: "The source instance's version is later than the destination instance's.", Status: http.StatusBadRequest, Source: SourceConform}
	KernelIncompatible   = Error{Code: "SnapshotRepo.KernelNotSupport", Message: "Both instances run 6.7.0: the destination's kernel must be later than the source's, or both must run the latest kernel.", Status: http.StatusBadRequest, Source: SourceConform}
	RepoAlreadyExists    = Error{Code: "SnapshotRepo.AlreadyExists", Message: "The destination instance already references the repository in repoPath.", Status: http.StatusBadRequest, Source: SourceConform}
	RepoNotFound         = Error{Code: "SnapshotRepo.NotFound", Message: "The destination instance does not reference the repository in repoPath.", Status: http.StatusBadRequest, Source: SourceConform}
	MissingRepoPath      = Error{Code: "MissingRepoPath", Message: "repoPath is mandatory for this action.", Status: http.StatusBadRequest, Source: SourceGateway}
	InvalidBody          = Error{Code: "InvalidParameter", Message: "The request body must be a JSON object with a non-empty string repoPath, sent as application/json or as the form field body.", Status: http.StatusBadRequest, Source: SourceConform}
	InvalidInstanceID    = Error{Code: "InvalidParameter.InstanceId", Message: "The instance ID is not a valid instance ID.", Status: http.StatusBadRequest, Source: SourceConform}
	InvalidClientToken   = Error{Code: "InvalidParameter.ClientToken", Message: "clientToken must be at most 64 ASCII characters.", Status: http.StatusBadRequest, Source: SourceConform}
	BodyTooLarge         = Error{Code: "RequestEntityTooLarge", Message: "The request body is larger than 1 MiB.", Status: http.StatusRequestEntityTooLarge, Source: SourceConform}
	UnsupportedMediaType = Error{Code: "UnsupportedMediaType", Message: "The Content-Type is not supported: send application/json or application/x-www-form-urlencoded.", Status: http.StatusUnsupportedMediaType, Source: SourceConform}
	InvalidParameter     = Error{Code: "InvalidParameter", Message: "A request parameter is not valid.", Status: http.StatusBadRequest, Source: SourceConform}
	AmbiguousBody        = Error{Code: "InvalidParameter.AmbiguousBody", Message: "The request body names a key twice, or spells repoPath in another case: say it once, as repoPath.", Status: http.StatusBadRequest, Source: SourceConform}
	InternalError        = Error{Code: "InternalError", Message: "The request processing has failed due to some unknown error.", Status: http.StatusInternalServerError, Source: SourceGateway}
	NotFound             = Error{Code: "InvalidAction.NotFound", Message: "No operation of this API answers this method and path.", Status: http.StatusNotFound, Source: SourceConform}
)

// Gateway errors: signature checking, as the platform's gateway answers them.
var (
	MissingSignature      = Error{Code: "MissingParameter", Message: "The request is not signed: the Authorization header is missing.", Status: http.StatusBadRequest, Source: SourceGateway}
	IncompleteSignature   = Error{Code: "IncompleteSignature", Message: "The request signature does not conform to Alibaba Cloud standards.", Status: http.StatusBadRequest, Source: SourceGateway}
	UnknownAccessKey      = Error{Code: "InvalidAccessKeyId.NotFound", Message: "Specified access key is not found.", Status: http.StatusNotFound, Source: SourceGateway}
	SignatureDoesNotMatch = Error{Code: "SignatureDoesNotMatch", Message: "Specified signature is not matched with our calculation.", Status: http.StatusBadRequest, Source: SourceGateway}
	TimestampExpired      = Error{Code: "InvalidTimeStamp.Expired", Message: "Specified time stamp or date value is expired.", Status: http.StatusBadRequest, Source: SourceGateway}
	NonceUsed             = Error{Code: "SignatureNonceUsed", Message: "Specified signature nonce was used already.", Status: http.StatusBadRequest, Source: SourceGateway}
	ContentHashMismatch   = Error{Code: "InvalidParameter.ContentSha256", Message: "The x-acs-content-sha256 header does not match the body received.", Status: http.StatusBadRequest, Source: SourceConform}
	ContentMD5Mismatch    = Error{Code: "InvalidParameter.ContentMD5", Message: "The Content-MD5 header does not match the body received.", Status: http.StatusBadRequest, Source: SourceConform}
	Forbidden             = Error{Code: "Forbidden.RAM", Message: "User not authorized to operate on the specified resource.", Status: http.StatusForbidden, Source: SourceGateway}
	NonceTooLong          = Error{Code: "InvalidParameter.SignatureNonce", Message: "The x-acs-signature-nonce header is longer than 64 characters; the official SDKs send at most 64.", Status: http.StatusBadRequest, Source: SourceConform}
	AmbiguousRequest      = Error{Code: "IncompleteSignature", Message: "The request repeats a signed header or a part of its Authorization, or leaves a header it sends out of SignedHeaders: one signature must stand for one request.", Status: http.StatusBadRequest, Source: SourceConform}
	Throttled             = Error{Code: "Throttling.User", Message: "Request was denied due to user flow control.", Status: http.StatusBadRequest, Source: SourceGateway}
)

// Recommend is the troubleshooting address the envelope carries.
const Recommend = "https://api.aliyun.com/troubleshoot"

// StringToSignMarker is what the classic SDK looks for in a
// SignatureDoesNotMatch message to compare the server's string to sign with its own.
const StringToSignMarker = "server string to sign is:"

// Answer says, in one line, how the platform answers with e and how much of
// that is documented: a documented code is the API's answer; any other is
// named as conform's or the platform's from elsewhere, never passed off as
// the API's.
func (e Error) Answer() string {
	switch {
	case e.Documented:
		return fmt.Sprintf("the API answers: %d %s %q (documented in the API reference)", e.Status, e.Code, e.Message)
	case e.Source == SourcePlatform:
		return fmt.Sprintf("the platform refuses; its code is not documented for this operation — the platform answers this condition elsewhere with %d %s %q, and so does conform serve", e.Status, e.Code, e.Message)
	case e.Source == SourceGateway:
		return fmt.Sprintf("the platform's gateway answers: %d %s %q", e.Status, e.Code, e.Message)
	}
	return fmt.Sprintf("the platform refuses; its code is not documented — conform calls it %s (%d %q)", e.Code, e.Status, e.Message)
}

// Is reports whether code is e's code.
func (e Error) Is(code string) bool { return e.Code == code }

// WithMessage returns e with another message, for answers that add detail.
func (e Error) WithMessage(msg string) Error {
	e.Message = msg
	return e
}
