package tenancy

import "testing"

func TestSiloStackName(t *testing.T) {
	for _, c := range []struct{ platform, id, want, short string }{
		{"dev", "acme", "dev-tenant-acme", "dev-tenant-acme"},
		{"myorg/tenantforge/prod", "t0a1b2c3d4e5f", "myorg/tenantforge/prod-tenant-t0a1b2c3d4e5f", "prod-tenant-t0a1b2c3d4e5f"},
	} {
		got := SiloStackName(c.platform, c.id)
		if got != c.want {
			t.Errorf("tenant %s of %s gets stack %q, want %q: tenantctl and the deployer's IAM scope would disagree", c.id, c.platform, got, c.want)
		}
		if s := ShortStackName(got); s != c.short {
			t.Errorf("ShortStackName(%q) = %q, want %q", got, s, c.short)
		}
	}
}
