package client

import "github.com/hearthcloud/hearth/client/pwrule"

// CheckPassword applies Hearth's password rule (package pwrule, protocol
// §3.5) to a password chosen for the account user: nil, or a
// *pwrule.WeakError that says why not. Signup, ChangePassword and Recover
// apply it before anything is derived or sent; a caller may apply it first
// to ask again at once.
func CheckPassword(user, password string) error {
	e, err := estimatePassword(password, user)
	if err != nil {
		return err
	}
	return pwrule.Judge(password, e)
}
