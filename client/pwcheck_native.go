//go:build !js

package client

import (
	"github.com/hearthcloud/hearth/client/pwrule"
	"github.com/hearthcloud/hearth/client/pwrule/zxcvbn"
)

// estimatePassword estimates with zxcvbn in this process.
func estimatePassword(password, user string) (pwrule.Estimate, error) {
	return zxcvbn.Estimate(password, user), nil
}
