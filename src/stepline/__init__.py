"""stepline: AWS Step Functions that you run yourself."""
