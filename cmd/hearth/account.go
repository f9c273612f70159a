package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/hearthcloud/hearth/client"
)

// hearth passwd: a new password for the signed-in account. The current
// password comes from $HEARTH_PASSWORD or a prompt, the new one from
// $HEARTH_NEW_PASSWORD or a prompt (twice), by the password rule. The
// keyring is sealed anew, the other sessions end, the data, the apps'
// grants and the recovery key stay (protocol §8.2.5).
func cmdPasswd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("passwd", flag.ContinueOnError)
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	return withSession(ctx, func(c *client.Client) error {
		current, err := secret("HEARTH_PASSWORD", "Current password: ")
		if err != nil {
			return err
		}
		next, err := newPassword("HEARTH_NEW_PASSWORD", "New password: ", c.State().User)
		if err != nil {
			return err
		}
		if err := c.ChangePassword(ctx, current, next); err != nil {
			return err
		}
		fmt.Println("Password changed. Your other sessions were signed out; this one goes on, and your recovery key is the same.")
		return nil
	})
}

// hearth recover --server URL --user NAME [--totp CODE]: a new password
// with the recovery key, for a forgotten one (protocol §8.2.6). The key
// comes from $HEARTH_RECOVERY_KEY or a prompt, the new password from
// $HEARTH_PASSWORD or a prompt (twice), by the password rule. Every
// session ends; this device is signed in, and the recovery key is
// replaced by a new one, printed once.
func cmdRecover(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("recover", flag.ContinueOnError)
	code := fs.String("totp", "", "authenticator code or a two-factor recovery code, when two-factor authentication is on")
	server := fs.String("server", "", "server URL, e.g. http://127.0.0.1:8080")
	user := fs.String("user", "", "user name")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *server == "" || *user == "" {
		return usagef("give --server and --user")
	}
	key, err := secret("HEARTH_RECOVERY_KEY", "Recovery key: ")
	if err != nil {
		return err
	}
	pw, err := newPassword("HEARTH_PASSWORD", "New password: ", *user)
	if err != nil {
		return err
	}
	unlock, err := lockState()
	if err != nil {
		return err
	}
	defer unlock()
	o := &client.Options{Device: device(), KDFChanged: true}
	if o.Previous, err = previous(*server, *user); err != nil {
		return err
	}
	c, rk, err := client.Recover(ctx, *server, *user, key, pw, *code, o)
	if errors.Is(err, client.ErrBadCredentials) {
		// What the server refused is the recovery key, not a password.
		return errors.New("this recovery key does not open this account: check the user name and the key (a used key is replaced by a new one)")
	}
	if err != nil {
		return err
	}
	if err := saveState(c.State(), true); err != nil {
		return err
	}
	fmt.Printf("Password replaced; signed in as %s. Every other session was signed out.\n\nYour NEW recovery key (the old one no longer works; shown only now, write it down\nand keep it safe):\n\n  %s\n", *user, rk)
	if err := c.PasskeysLeftLocked(); err != nil {
		fmt.Fprintf(os.Stderr, "\nhearth: warning: %v\n", err)
	}
	return nil
}
