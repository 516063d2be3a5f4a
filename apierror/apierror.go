// Package apierror is every error the AddSnapshotRepo API and its gateway
// answer — code, message, HTTP status and source — as Go values, read from
// the contract ledger (fixtures/contract.yaml, package contract). The checker
// names them in verdicts, the reference server sends them and the suite
// expects them.
package apierror

import (
	"fmt"

	"github.com/snaprepo/conform/contract"
)

// Error is one error answer of the API, as it appears in the error envelope.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Status  int    `json:"-"`
	// Documented says the code and message come from the API reference of
	// an operation (contract.yaml: the operation documents the answer); the
	// others are the platform's codes from elsewhere or this project's own
	// names for refusals the reference leaves unnamed.
	Documented bool `json:"-"`
	// Kind is the kind of the answer's source (contract.KindReference,
	// KindGateway, KindPlatform or KindConform).
	Kind string `json:"-"`
	// Source is where the code, message and status come from, in one line:
	// a reference page, the platform's gateway, or conform's own choice.
	Source string `json:"-"`
}

// fromLedger is the answer called name in the contract ledger
// (fixtures/contract.yaml), the one place codes, statuses and messages are
// written. A name the ledger lacks is a build defect, caught by this
// package's tests.
func fromLedger(name string) Error {
	l := contract.MustBuiltin()
	a, ok := l.Answer(name)
	if !ok {
		panic("apierror: fixtures/contract.yaml has no answer " + name)
	}
	src := l.Source(a.Source)
	return Error{Code: a.Code, Message: a.Message, Status: a.Status,
		Documented: len(l.DocumentedBy(name)) > 0, Kind: src.Kind, Source: src.Cite()}
}

// Documented errors of AddSnapshotRepo and DeleteSnapshotRepo (API
// reference, "Error codes").
var (
	InstanceNotFound   = fromLedger("InstanceNotFound")
	InstanceActivating = fromLedger("InstanceActivating")
)

// Refusals by the compatibility rules, and answers to malformed requests.
// The platform does not document their codes; these are the reference
// implementation's (each says its source), and the suite accepts any 4xx
// envelope or Result false for them.
var (
	InstanceNotActive    = fromLedger("InstanceNotActive")
	SourceNotFound       = fromLedger("SourceNotFound")
	SourceIsDestination  = fromLedger("SourceIsDestination")
	RegionMismatch       = fromLedger("RegionMismatch")
	VersionIncompatible  = fromLedger("VersionIncompatible")
	KernelIncompatible   = fromLedger("KernelIncompatible")
	RepoAlreadyExists    = fromLedger("RepoAlreadyExists")
	RepoNotFound         = fromLedger("RepoNotFound")
	MissingRepoPath      = fromLedger("MissingRepoPath")
	InvalidBody          = fromLedger("InvalidBody")
	InvalidInstanceID    = fromLedger("InvalidInstanceID")
	InvalidClientToken   = fromLedger("InvalidClientToken")
	BodyTooLarge         = fromLedger("BodyTooLarge")
	UnsupportedMediaType = fromLedger("UnsupportedMediaType")
	InvalidParameter     = fromLedger("InvalidParameter")
	AmbiguousBody        = fromLedger("AmbiguousBody")
	InternalError        = fromLedger("InternalError")
	NotFound             = fromLedger("NotFound")
)

// Gateway errors: signature checking, as the platform's gateway answers them.
var (
	MissingSignature      = fromLedger("MissingSignature")
	IncompleteSignature   = fromLedger("IncompleteSignature")
	UnknownAccessKey      = fromLedger("UnknownAccessKey")
	SignatureDoesNotMatch = fromLedger("SignatureDoesNotMatch")
	TimestampExpired      = fromLedger("TimestampExpired")
	NonceUsed             = fromLedger("NonceUsed")
	ContentHashMismatch   = fromLedger("ContentHashMismatch")
	ContentMD5Mismatch    = fromLedger("ContentMD5Mismatch")
	Forbidden             = fromLedger("Forbidden")
	NonceTooLong          = fromLedger("NonceTooLong")
	AmbiguousRequest      = fromLedger("AmbiguousRequest")
	Throttled             = fromLedger("Throttled")
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
	case e.Kind == contract.KindPlatform:
		return fmt.Sprintf("the platform refuses; its code is not documented for this operation — the platform answers this condition elsewhere with %d %s %q, and so does conform serve", e.Status, e.Code, e.Message)
	case e.Kind == contract.KindGateway:
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
