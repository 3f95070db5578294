// kindnet-lite is this project's pod network for kind nodes built offline.
//
// kind's own CNI daemon (kindnetd) cannot be built on machines without a
// container registry or GitHub, so the node image carries this small
// equivalent, written for the project: for its own node it writes a CNI
// config (ptp + host-local on the node's podCIDR, portmap); for every other
// node it routes that node's podCIDR via the node's InternalIP; and it
// masquerades pod traffic leaving the pod network. It talks to the API server
// with the pod's service account and nothing but the standard library, and
// re-syncs every 10 seconds.
package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

const (
	saDir    = "/var/run/secrets/kubernetes.io/serviceaccount"
	confPath = "/etc/cni/net.d/10-kindnet.conflist"
	chain    = "KIND-MASQ-AGENT"
)

type nodeList struct {
	Items []struct {
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Spec struct {
			PodCIDR  string   `json:"podCIDR"`
			PodCIDRs []string `json:"podCIDRs"`
		} `json:"spec"`
		Status struct {
			Addresses []struct {
				Type    string `json:"type"`
				Address string `json:"address"`
			} `json:"addresses"`
		} `json:"status"`
	} `json:"items"`
}

type apiClient struct {
	base  string
	token string
	http  *http.Client
}

func newAPIClient() (*apiClient, error) {
	host := os.Getenv("CONTROL_PLANE_ENDPOINT")
	if host == "" {
		host = net.JoinHostPort(os.Getenv("KUBERNETES_SERVICE_HOST"), os.Getenv("KUBERNETES_SERVICE_PORT"))
	}
	ca, err := os.ReadFile(filepath.Join(saDir, "ca.crt"))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("no certificate in %s/ca.crt", saDir)
	}
	return &apiClient{
		base: "https://" + host,
		http: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}},
	}, nil
}

func (c *apiClient) nodes() (*nodeList, error) {
	token, err := os.ReadFile(filepath.Join(saDir, "token")) // rotated: read each time
	if err != nil {
		return nil, err
	}
	req, _ := http.NewRequest("GET", c.base+"/api/v1/nodes", nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("GET /api/v1/nodes: HTTP %d", resp.StatusCode)
	}
	var out nodeList
	return &out, json.NewDecoder(resp.Body).Decode(&out)
}

func run(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

func mtu() int {
	iface, err := net.InterfaceByName("eth0")
	if err != nil || iface.MTU == 0 {
		return 1500
	}
	return iface.MTU
}

func writeConfig(podCIDR string) error {
	conf := map[string]any{
		"cniVersion": "0.3.1",
		"name":       "kindnet",
		"plugins": []any{
			map[string]any{
				"type":   "ptp",
				"ipMasq": false,
				"mtu":    mtu(),
				"ipam": map[string]any{
					"type":    "host-local",
					"dataDir": "/run/cni-ipam-state",
					"routes":  []any{map[string]string{"dst": "0.0.0.0/0"}},
					"ranges":  []any{[]any{map[string]string{"subnet": podCIDR}}},
				},
			},
			map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}},
		},
	}
	data, _ := json.MarshalIndent(conf, "", "  ")
	if old, err := os.ReadFile(confPath); err == nil && bytes.Equal(old, data) {
		return nil
	}
	tmp := confPath + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	log.Printf("writing %s for podCIDR %s", confPath, podCIDR)
	return os.Rename(tmp, confPath)
}

func ensureMasquerade(podSubnet string) error {
	// iptables -C exits non-zero when a rule is missing: add it then.
	_ = run("iptables", "-t", "nat", "-N", chain)
	rules := [][]string{
		{"-d", podSubnet, "-m", "comment", "--comment", "kindnet-lite: pod-to-pod is not masqueraded", "-j", "RETURN"},
		{"-m", "comment", "--comment", "kindnet-lite: masquerade the rest", "-j", "MASQUERADE"},
	}
	for _, r := range rules {
		if run("iptables", append([]string{"-t", "nat", "-C", chain}, r...)...) != nil {
			if err := run("iptables", append([]string{"-t", "nat", "-A", chain}, r...)...); err != nil {
				return err
			}
		}
	}
	jump := []string{"-m", "addrtype", "!", "--dst-type", "LOCAL", "-j", chain}
	if run("iptables", append([]string{"-t", "nat", "-C", "POSTROUTING"}, jump...)...) != nil {
		return run("iptables", append([]string{"-t", "nat", "-A", "POSTROUTING"}, jump...)...)
	}
	return nil
}

func sync(c *apiClient, self, podSubnet string) error {
	nodes, err := c.nodes()
	if err != nil {
		return err
	}
	for _, n := range nodes.Items {
		cidr := n.Spec.PodCIDR
		if cidr == "" && len(n.Spec.PodCIDRs) > 0 {
			cidr = n.Spec.PodCIDRs[0]
		}
		if cidr == "" {
			continue
		}
		if n.Metadata.Name == self {
			if err := writeConfig(cidr); err != nil {
				return err
			}
			continue
		}
		for _, a := range n.Status.Addresses {
			if a.Type == "InternalIP" && net.ParseIP(a.Address).To4() != nil {
				if err := run("ip", "route", "replace", cidr, "via", a.Address); err != nil {
					return err
				}
			}
		}
	}
	if podSubnet != "" {
		return ensureMasquerade(podSubnet)
	}
	return nil
}

func main() {
	self := os.Getenv("NODE_NAME")
	if self == "" {
		log.Fatal("NODE_NAME is not set (downward API spec.nodeName)")
	}
	c, err := newAPIClient()
	if err != nil {
		log.Fatalf("api client: %v", err)
	}
	podSubnet := os.Getenv("POD_SUBNET")
	log.Printf("kindnet-lite on node %s, pod subnet %q, API %s", self, podSubnet, c.base)
	for {
		if err := sync(c, self, podSubnet); err != nil {
			log.Printf("sync: %v", err)
		}
		time.Sleep(10 * time.Second) // a daemon's resync period
	}
}
