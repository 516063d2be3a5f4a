// Package apierror is the one definition of every error the AddSnapshotRepo
// API and its gateway answer: code, message and HTTP status. The checker names
// them in verdicts, the reference server sends them and the suite expects them.
package apierror

import "net/http"

// Error is one error answer of the API, as it appears in the error envelope.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Status  int    `json:"-"`
	// Documented says the code and message come from the API reference; the
	// others are this project's own names for refusals the reference leaves unnamed.
	Documented bool `json:"-"`
}

// Documented errors of AddSnapshotRepo (API reference, "Error codes").
var (
	InstanceNotFound   = Error{Code: "InstanceNotFound", Message: "The instanceId provided does not exist.", Status: http.StatusBadRequest, Documented: true}
	InstanceActivating = Error{Code: "InstanceActivating", Message: "Instance is activating.", Status: http.StatusBadRequest, Documented: true}
)

// Refusals by the compatibility rules. The platform does not document their
// codes; these are the reference implementation's, and the suite accepts any
// 4xx envelope for them.
var (
	InstanceNotActive    = Error{Code: "InstanceStatusNotSupport", Message: "The instance is not in a state that allows this operation.", Status: http.StatusBadRequest}
	SourceNotFound       = Error{Code: "SnapshotRepo.SourceNotFound", Message: "The source instance in repoPath does not exist.", Status: http.StatusBadRequest}
	SourceIsDestination  = Error{Code: "SnapshotRepo.SameInstance", Message: "The source instance in repoPath is the destination instance.", Status: http.StatusBadRequest}
	RegionMismatch       = Error{Code: "SnapshotRepo.RegionMismatch", Message: "The source instance is not in the destination instance's region.", Status: http.StatusBadRequest}
	VersionIncompatible  = Error{Code: "SnapshotRepo.VersionNotSupport", Message: "The source instance's version is later than the destination instance's.", Status: http.StatusBadRequest}
	KernelIncompatible   = Error{Code: "SnapshotRepo.KernelNotSupport", Message: "Both instances run 6.7.0: the destination's kernel must be later than the source's, or both must run the latest kernel.", Status: http.StatusBadRequest}
	RepoAlreadyExists    = Error{Code: "SnapshotRepo.AlreadyExists", Message: "The destination instance already references the repository in repoPath.", Status: http.StatusBadRequest}
	RepoNotFound         = Error{Code: "SnapshotRepo.NotFound", Message: "The destination instance does not reference the repository in repoPath.", Status: http.StatusBadRequest}
	InvalidBody          = Error{Code: "InvalidParameter", Message: "The request body must be a JSON object with a non-empty string repoPath, sent as application/json or as the form field body.", Status: http.StatusBadRequest}
	InvalidInstanceID    = Error{Code: "InvalidParameter.InstanceId", Message: "The instance ID is not a valid instance ID.", Status: http.StatusBadRequest}
	BodyTooLarge         = Error{Code: "RequestEntityTooLarge", Message: "The request body is larger than 1 MiB.", Status: http.StatusRequestEntityTooLarge}
	UnsupportedMediaType = Error{Code: "UnsupportedMediaType", Message: "The Content-Type is not supported: send application/json or application/x-www-form-urlencoded.", Status: http.StatusUnsupportedMediaType}
	InvalidParameter     = Error{Code: "InvalidParameter", Message: "A request parameter is not valid.", Status: http.StatusBadRequest}
	AmbiguousBody        = Error{Code: "InvalidParameter.AmbiguousBody", Message: "The request body names a key twice, or spells repoPath in another case: say it once, as repoPath.", Status: http.StatusBadRequest}
	InternalError        = Error{Code: "InternalError", Message: "The request processing has failed due to some unknown error.", Status: http.StatusInternalServerError}
	NotFound             = Error{Code: "InvalidAction.NotFound", Message: "No operation of this API answers this method and path.", Status: http.StatusNotFound}
)

// Gateway errors: signature checking, as the platform's gateway answers them.
var (
	MissingSignature      = Error{Code: "MissingParameter", Message: "The request is not signed: the Authorization header is missing.", Status: http.StatusBadRequest}
	IncompleteSignature   = Error{Code: "IncompleteSignature", Message: "The request signature does not conform to Alibaba Cloud standards.", Status: http.StatusBadRequest}
	UnknownAccessKey      = Error{Code: "InvalidAccessKeyId.NotFound", Message: "Specified access key is not found.", Status: http.StatusNotFound}
	SignatureDoesNotMatch = Error{Code: "SignatureDoesNotMatch", Message: "Specified signature is not matched with our calculation.", Status: http.StatusBadRequest}
	TimestampExpired      = Error{Code: "InvalidTimeStamp.Expired", Message: "Specified time stamp or date value is expired.", Status: http.StatusBadRequest}
	NonceUsed             = Error{Code: "SignatureNonceUsed", Message: "Specified signature nonce was used already.", Status: http.StatusBadRequest}
	ContentHashMismatch   = Error{Code: "InvalidParameter.ContentSha256", Message: "The x-acs-content-sha256 header does not match the body received.", Status: http.StatusBadRequest}
	ContentMD5Mismatch    = Error{Code: "InvalidParameter.ContentMD5", Message: "The Content-MD5 header does not match the body received.", Status: http.StatusBadRequest}
	Forbidden             = Error{Code: "Forbidden.RAM", Message: "User not authorized to operate on the specified resource.", Status: http.StatusForbidden}
	NonceTooLong          = Error{Code: "InvalidParameter.SignatureNonce", Message: "The x-acs-signature-nonce header is longer than 64 characters; the official SDKs send at most 64.", Status: http.StatusBadRequest}
	AmbiguousRequest      = Error{Code: "IncompleteSignature", Message: "The request repeats a signed header or a part of its Authorization, or leaves a header it sends out of SignedHeaders: one signature must stand for one request.", Status: http.StatusBadRequest}
	Throttled             = Error{Code: "Throttling.User", Message: "Request was denied due to user flow control.", Status: http.StatusTooManyRequests}
)

// Recommend is the troubleshooting address the envelope carries.
const Recommend = "https://api.aliyun.com/troubleshoot"

// StringToSignMarker is what the classic SDK looks for in a
// SignatureDoesNotMatch message to compare the server's string to sign with its own.
const StringToSignMarker = "server string to sign is:"

// Is reports whether code is e's code.
func (e Error) Is(code string) bool { return e.Code == code }

// WithMessage returns e with another message, for answers that add detail.
func (e Error) WithMessage(msg string) Error {
	e.Message = msg
	return e
}
