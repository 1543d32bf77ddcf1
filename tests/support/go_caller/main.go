// A Go program built against the AWS SDK for Go v2 (Debian's golang-github-aws-aws-sdk-go-v2-dev),
// as Terraform's AWS provider and most Go tools are: it loads the shared config for the
// profile named in argv[1], as the SDK does, and prints the account GetCallerIdentity
// names. STS_URL, when set, is the STS endpoint (moto in the tests).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func main() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithSharedConfigProfile(os.Args[1]))
	if err != nil {
		fmt.Fprintln(os.Stderr, "config:", err)
		os.Exit(1)
	}
	client := sts.NewFromConfig(cfg, func(o *sts.Options) {
		if url := os.Getenv("STS_URL"); url != "" {
			o.EndpointResolver = sts.EndpointResolverFromURL(url)
		}
	})
	out, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "GetCallerIdentity:", err)
		os.Exit(2)
	}
	fmt.Println(aws.ToString(out.Account))
}
