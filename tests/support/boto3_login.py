#!/usr/bin/env python3
"""boto3 on a login session (botocore's LoginProvider, `botocore[crt]`): the profile's
credentials, and what STS says of them. Usage: boto3_login.py PROFILE; prints one JSON
object: access_key, arn. The endpoints come from the environment (AWS_ENDPOINT_URL_SIGNIN,
AWS_ENDPOINT_URL_STS)."""

import json
import sys

import boto3

session = boto3.Session(profile_name=sys.argv[1])
creds = session.get_credentials().get_frozen_credentials()
arn = session.client("sts").get_caller_identity()["Arn"]
print(json.dumps({"access_key": creds.access_key, "arn": arn}))
