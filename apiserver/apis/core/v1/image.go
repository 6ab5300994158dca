package v1

import (
	"errors"
	"regexp"
	"strings"
)

// Upstream defaults imagePullPolicy through k8s.io/kubernetes/pkg/util/parsers,
// which wraps github.com/distribution/reference (v0.6.0) and
// github.com/opencontainers/go-digest. Neither module is in our go.mod, so the
// part of their grammar that decides the defaulted pull policy is reproduced
// here. What matters is exact agreement on two questions: does the reference
// parse at all (a reference that does not parse defaults to IfNotPresent), and
// which tag does it carry ("latest" is implied when there is neither a tag nor
// a digest). The regular expressions are copied from distribution/reference's
// regexp.go so that the accepted language is identical.

const (
	refAlphanumeric        = `[a-z0-9]+`
	refSeparator           = `(?:[._]|__|[-]+)`
	refDomainNameComponent = `(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])`
	refOptionalPort        = `(?::[0-9]+)?`
	refTag                 = `[\w][\w.-]{0,127}`
	refDigest              = `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][[:xdigit:]]{32,}`
	refIdentifier          = `([a-f0-9]{64})`
	refIPv6Address         = `\[(?:[a-fA-F0-9:]+)\]`
	refDomainName          = refDomainNameComponent + `(?:\.` + refDomainNameComponent + `)*`
	refHost                = `(?:` + refDomainName + `|` + refIPv6Address + `)`
	refDomainAndPort       = refHost + refOptionalPort
	refPathComponent       = refAlphanumeric + `(?:` + refSeparator + refAlphanumeric + `)*`
	refRemoteName          = refPathComponent + `(?:/` + refPathComponent + `)*`
	refNamePat             = `(?:` + refDomainAndPort + `/)?` + refRemoteName
	refReferencePat        = `^(` + refNamePat + `)(?::(` + refTag + `))?(?:@(` + refDigest + `))?$`
	refAnchoredNamePat     = `^(?:(` + refDomainAndPort + `)/)?(` + refRemoteName + `)$`

	// repositoryNameTotalLengthMax is distribution/reference's limit on the
	// path part of a repository name (the domain is not counted).
	repositoryNameTotalLengthMax = 255

	defaultDomain       = "docker.io"
	legacyDefaultDomain = "index.docker.io"
	officialRepoPrefix  = "library/"
	localhost           = "localhost"
	defaultTag          = "latest"
)

var (
	referenceRegexp          = regexp.MustCompile(refReferencePat)
	anchoredNameRegexp       = regexp.MustCompile(refAnchoredNamePat)
	anchoredIdentifierRegexp = regexp.MustCompile(`^` + refIdentifier + `$`)

	// go-digest only accepts digests whose algorithm has a registered hash
	// implementation; upstream links sha256, sha384 and sha512 in.
	digestEncodedRegexps = map[string]*regexp.Regexp{
		"sha256": regexp.MustCompile(`^[a-f0-9]{64}$`),
		"sha384": regexp.MustCompile(`^[a-f0-9]{96}$`),
		"sha512": regexp.MustCompile(`^[a-f0-9]{128}$`),
	}

	errInvalidImageReference = errors.New("invalid image reference")
)

// parseImageName mirrors k8s.io/kubernetes/pkg/util/parsers.ParseImageName:
// it returns the repository, tag and digest of a docker image reference, with
// the tag defaulted to "latest" when neither a tag nor a digest is present.
func parseImageName(image string) (string, string, string, error) {
	if anchoredIdentifierRegexp.MatchString(image) {
		return "", "", "", errInvalidImageReference
	}
	domain, remainder := splitDockerDomain(image)
	remote := remainder
	if tagSep := strings.IndexRune(remainder, ':'); tagSep > -1 {
		remote = remainder[:tagSep]
	}
	if strings.ToLower(remote) != remote {
		return "", "", "", errInvalidImageReference
	}

	s := domain + "/" + remainder
	matches := referenceRegexp.FindStringSubmatch(s)
	if matches == nil {
		return "", "", "", errInvalidImageReference
	}
	name, path := matches[1], matches[1]
	if nameMatch := anchoredNameRegexp.FindStringSubmatch(matches[1]); len(nameMatch) == 3 {
		path = nameMatch[2]
	}
	if len(path) > repositoryNameTotalLengthMax {
		return "", "", "", errInvalidImageReference
	}
	tag, digest := matches[2], matches[3]
	if digest != "" && !validDigest(digest) {
		return "", "", "", errInvalidImageReference
	}
	if tag == "" && digest == "" {
		tag = defaultTag
	}
	return name, tag, digest, nil
}

// splitDockerDomain is distribution/reference v0.6.0's splitDockerDomain.
func splitDockerDomain(name string) (domain, remainder string) {
	i := strings.IndexRune(name, '/')
	if i == -1 || (!strings.ContainsAny(name[:i], ".:") && name[:i] != localhost && strings.ToLower(name[:i]) == name[:i]) {
		domain, remainder = defaultDomain, name
	} else {
		domain, remainder = name[:i], name[i+1:]
	}
	if domain == legacyDefaultDomain {
		domain = defaultDomain
	}
	if domain == defaultDomain && !strings.ContainsRune(remainder, '/') {
		remainder = officialRepoPrefix + remainder
	}
	return domain, remainder
}

// validDigest is go-digest's Digest.Validate restricted to the question of
// whether it returns nil.
func validDigest(d string) bool {
	i := strings.Index(d, ":")
	if i <= 0 || i+1 == len(d) {
		return false
	}
	r, ok := digestEncodedRegexps[d[:i]]
	if !ok {
		return false
	}
	return r.MatchString(d[i+1:])
}
