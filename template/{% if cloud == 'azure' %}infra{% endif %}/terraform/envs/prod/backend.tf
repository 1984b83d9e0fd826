# Remote state in an Azure Storage blob container (locked with blob leases), signed in
# with Entra ID. The account is given at init time:
#   terraform init -backend-config=backend.hcl   (see backend.hcl.example)
terraform {
  backend "azurerm" {
    key              = "prod.terraform.tfstate"
    use_azuread_auth = true
  }
}
