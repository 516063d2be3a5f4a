module github.com/snaprepo/conform

go 1.26.8

require (
	github.com/Masterminds/semver/v3 v3.5.0
	go.yaml.in/yaml/v3 v3.0.6
)
