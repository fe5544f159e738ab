package imap

import "strings"

// ResetKeyCommand is the argument of RESETKEY (RFC 4467 7): with Named
// unset, every mailbox access key of the user is removed.
type ResetKeyCommand struct {
	Mailbox    string
	Named      bool
	Mechanisms []string
}

// GenURLAuthCommand is the argument of GENURLAUTH (RFC 4467 7).
type GenURLAuthCommand struct {
	URLs []GenURLAuthURL
}

// GenURLAuthURL is one URL of GENURLAUTH, ending with ";URLAUTH=access",
// with the mechanism to sign it with.
type GenURLAuthURL struct {
	URL       string
	Mechanism string
}

// URLFetchCommand is the argument of URLFETCH (RFC 4467 7, with the
// parameters of RFC 5524 3).
type URLFetchCommand struct {
	URLs []URLFetchArg
}

// URLFetchArg is one URL of URLFETCH. Extended is set for the form in
// parentheses of RFC 5524, whose Params ("BODYPARTSTRUCTURE",
// "BINARY", "BODY") are upper case.
type URLFetchArg struct {
	URL      string
	Extended bool
	Params   []string
}

// resetKeyArgs reads: resetkey = "RESETKEY" [SP mailbox *(SP mechanism)].
func (d *Decoder) resetKeyArgs() (*ResetKeyCommand, error) {
	c := &ResetKeyCommand{}
	if d.AtCRLF() {
		return c, nil
	}
	if err := d.args(&c.Mailbox); err != nil {
		return nil, err
	}
	c.Named = true
	for !d.AtCRLF() {
		if err := d.SP(); err != nil {
			return nil, err
		}
		m, err := d.Atom()
		if err != nil {
			return nil, err
		}
		c.Mechanisms = append(c.Mechanisms, strings.ToUpper(m))
	}
	return c, nil
}

// genURLAuthArgs reads: genurlauth = "GENURLAUTH" 1*(SP url-rump SP
// mechanism).
func (d *Decoder) genURLAuthArgs() (*GenURLAuthCommand, error) {
	c := &GenURLAuthCommand{}
	for len(c.URLs) == 0 || !d.AtCRLF() {
		var u GenURLAuthURL
		if err := d.args(&u.URL); err != nil {
			return nil, err
		}
		if err := d.SP(); err != nil {
			return nil, err
		}
		m, err := d.Atom()
		if err != nil {
			return nil, err
		}
		u.Mechanism = strings.ToUpper(m)
		c.URLs = append(c.URLs, u)
	}
	return c, nil
}

// urlFetchArgs reads: urlfetch = "URLFETCH" 1*(SP url-fetch-arg), where
// url-fetch-arg = url-full / "(" url-full *(SP url-fetch-param) ")"
// (RFC 5524 5).
func (d *Decoder) urlFetchArgs() (*URLFetchCommand, error) {
	c := &URLFetchCommand{}
	for len(c.URLs) == 0 || !d.AtCRLF() {
		if err := d.SP(); err != nil {
			return nil, err
		}
		var a URLFetchArg
		if b, err := d.peek(); err == nil && b == '(' {
			a.Extended = true
			first := true
			err := d.List(func() error {
				if first {
					first = false
					var err error
					a.URL, err = d.AString()
					return err
				}
				p, err := d.Atom()
				a.Params = append(a.Params, strings.ToUpper(p))
				return err
			})
			if err != nil {
				return nil, err
			}
			if first {
				return nil, syntaxf("URLFETCH needs a URL in the parentheses")
			}
		} else {
			var err error
			if a.URL, err = d.AString(); err != nil {
				return nil, err
			}
		}
		c.URLs = append(c.URLs, a)
	}
	return c, nil
}

// urlAuthArgs writes the arguments of RESETKEY, GENURLAUTH and URLFETCH.
func (e *Encoder) urlAuthArgs(args any) {
	switch a := args.(type) {
	case *ResetKeyCommand:
		if !a.Named {
			return
		}
		e.SP().AString(a.Mailbox)
		for _, m := range a.Mechanisms {
			e.SP().Atom(m)
		}
	case *GenURLAuthCommand:
		for _, u := range a.URLs {
			e.SP().String(u.URL).SP().Atom(u.Mechanism)
		}
	case *URLFetchCommand:
		for _, u := range a.URLs {
			e.SP()
			if !u.Extended {
				e.String(u.URL)
				continue
			}
			e.Raw("(").String(u.URL)
			for _, p := range u.Params {
				e.SP().Atom(p)
			}
			e.Raw(")")
		}
	}
}
